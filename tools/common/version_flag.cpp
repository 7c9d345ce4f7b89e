#include "version_flag.hpp"

#include "shmifd/version.hpp"

namespace shmif::tool {

void add_version_flag(CLI::App& app) {
    app.set_version_flag("-V,--version", app.get_name() + " " + SHMIFD_VERSION,
                         "Print the version and exit");
}

}  // namespace shmif::tool
