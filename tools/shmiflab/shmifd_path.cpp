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

std::expected<std::string, std::string> find_program(const OurProgram& program,
                                                     const std::string& given) {
    std::string chosen = given;
    if (chosen.empty())
        if (const char* env = std::getenv(program.env.c_str()); env != nullptr) chosen = env;
    if (!chosen.empty()) {
        if (!executable(chosen)) return std::unexpected(chosen + ": not an executable file");
        return std::filesystem::absolute(chosen).string();
    }
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec)
        // Installed side by side, or in the build tree's directory of that program.
        for (const auto& candidate : {self / program.name, self / program.build_dir / program.name})
            if (executable(candidate)) return candidate.lexically_normal().string();
    if (auto found = find_in_path(program.name)) return *found;
    const auto give = program.option.empty() ? "" : program.option + " or ";
    return std::unexpected("no " + program.name + ": not beside shmiflab nor in PATH (give " +
                           give + "$" + program.env + ")");
}

std::expected<std::string, std::string> find_shmifd(const std::string& given) {
    return find_program({"shmifd", "--shmifd", "SHMIFLAB_SHMIFD", "../../daemon/shmifd"}, given);
}

std::expected<std::string, std::string> find_shmiftap(const std::string& given) {
    return find_program({"shmiftap", "--shmiftap", "SHMIFLAB_SHMIFTAP", "../shmiftap"}, given);
}

std::expected<std::string, std::string> find_shmiflink() {
    return find_program({"shmiflink", "", "SHMIFLAB_SHMIFLINK", "../shmiflink"}, "");
}

std::expected<std::string, std::string> find_shmifdump() {
    return find_program({"shmifdump", "", "SHMIFLAB_SHMIFDUMP", "../shmifdump"}, "");
}

std::expected<std::string, std::string> find_shmifrun() {
    return find_program({"shmifrun", "", "SHMIFLAB_SHMIFRUN", "../../libshmifsock/bin"}, "");
}

std::string find_system_program(const std::string& name) {
    if (auto found = find_in_path(name)) return *found;
    for (const char* dir : {"/usr/sbin", "/sbin"})
        if (executable(std::filesystem::path(dir) / name))
            return (std::filesystem::path(dir) / name).string();
    return {};
}

}  // namespace shmiflab
