#include "saved_config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace shmifctl {

std::expected<void, std::string> save_config(const Invocation& invocation,
                                             const nlohmann::json& result) {
    if (invocation.request.cmd != "config.save" || invocation.save_to.empty()) return {};
    const auto it = result.find("toml");
    if (it == result.end() || !it->is_string())
        return std::unexpected(std::string("the daemon's reply holds no TOML text"));
    const std::string& path = invocation.save_to;
    const std::string temporary = fmt::format("{}.tmp{}", path, ::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << it->get<std::string>();
        out.flush();
        if (!out) {
            const int error = errno;
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            return std::unexpected(fmt::format("cannot write {}: {}", temporary,
                                               std::generic_category().message(error)));
        }
    }
    std::error_code renamed;
    std::filesystem::rename(temporary, path, renamed);
    if (renamed) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        return std::unexpected(fmt::format("cannot write {}: {}", path, renamed.message()));
    }
    return {};
}

}  // namespace shmifctl
