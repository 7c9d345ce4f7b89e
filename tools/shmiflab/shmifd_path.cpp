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

std::optional<std::string> find_in_path(const std::string& name) {
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::istringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty() && executable(std::filesystem::path(dir) / name))
                return (std::filesystem::path(dir) / name).string();
    }
    return std::nullopt;
}

std::expected<std::string, std::string> find_companion(const Companion& program,
                                                       const std::string& given) {
    std::string chosen = given;
    if (chosen.empty())
        if (const char* env = std::getenv(program.env); env != nullptr) chosen = env;
    if (!chosen.empty()) {
        if (!executable(chosen)) return std::unexpected(chosen + ": not an executable file");
        return std::filesystem::absolute(chosen).string();
    }
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec)
        // Installed side by side, or in the build tree (shmiflab is in tools/shmiflab).
        for (const auto& candidate : {self / program.name, self / program.build_dir / program.name})
            if (executable(candidate)) return candidate.lexically_normal().string();
    if (auto found = find_in_path(program.name)) return *found;
    const std::string option = program.option ? std::string(program.option) + " or " : "";
    return std::unexpected("no " + std::string(program.name) +
                           ": not beside shmiflab nor in PATH (give " + option + "$" + program.env +
                           ")");
}

std::expected<std::string, std::string> find_shmifd(const std::string& given) {
    return find_companion({.name = "shmifd",
                           .env = "SHMIFLAB_SHMIFD",
                           .build_dir = "../../daemon/shmifd",
                           .option = "--shmifd"},
                          given);
}

std::expected<std::string, std::string> find_shmifrun() {
    return find_companion({.name = "shmifrun",
                           .env = "SHMIFLAB_SHMIFRUN",
                           .build_dir = "../../libshmifsock/bin",
                           .option = nullptr},
                          "");
}

}  // namespace shmiflab
