#include "shim_locator.hpp"

#include <cstdlib>
#include <system_error>

namespace shmifrun {

std::optional<std::filesystem::path> locate_shim(const std::filesystem::path& executable,
                                                 const std::filesystem::path& relative_libdir) {
    constexpr const char* kName = "libshmifrun.so";
    if (const char* forced = std::getenv("SHMIFRUN_SHIM"); forced && *forced)
        return std::filesystem::absolute(forced);
    const auto dir = executable.parent_path();
    for (const auto& candidate : {dir / kName, dir / relative_libdir / kName}) {
        std::error_code error;
        if (std::filesystem::is_regular_file(candidate, error))
            return std::filesystem::weakly_canonical(candidate, error);
    }
    return std::nullopt;
}

}  // namespace shmifrun
