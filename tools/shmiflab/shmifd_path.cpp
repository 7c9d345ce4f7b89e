#include "shmifd_path.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace shmiflab {

namespace {

bool executable(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::expected<std::string, std::string> find_shmifd(const std::string& given) {
    std::string chosen = given;
    if (chosen.empty())
        if (const char* env = std::getenv("SHMIFLAB_SHMIFD"); env != nullptr) chosen = env;
    if (!chosen.empty()) {
        if (!executable(chosen)) return std::unexpected(chosen + ": not an executable file");
        return std::filesystem::absolute(chosen).string();
    }
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec)
        // Installed side by side, or the build tree's tools/shmiflab and daemon/shmifd.
        for (const auto& candidate : {self / "shmifd", self / "../../daemon/shmifd/shmifd"})
            if (executable(candidate)) return candidate.lexically_normal().string();
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::istringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty() && executable(std::filesystem::path(dir) / "shmifd"))
                return (std::filesystem::path(dir) / "shmifd").string();
    }
    return std::unexpected(
        "no shmifd: not beside shmiflab nor in PATH (give --shmifd or $SHMIFLAB_SHMIFD)");
}

}  // namespace shmiflab
