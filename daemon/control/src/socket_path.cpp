#include "shmifd/control/socket_path.hpp"

#include <cstdlib>
#include <string_view>

namespace shmifd::control {
namespace {

std::string_view env(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string_view(value) : std::string_view();
}

}  // namespace

std::filesystem::path default_socket_path() {
    if (const auto explicit_path = env("SHMIFD_SOCKET"); !explicit_path.empty())
        return std::filesystem::path(explicit_path);
    if (const auto runtime = env("XDG_RUNTIME_DIR"); !runtime.empty())
        return std::filesystem::path(runtime) / "shmif" / "shmifd.sock";
    return "/run/shmif/shmifd.sock";
}

}  // namespace shmifd::control
