#include "notify.hpp"

#ifdef SHMIFD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <spdlog/spdlog.h>

#include <system_error>

namespace shmifd {

void notify_systemd(const std::string& state) {
#ifdef SHMIFD_HAVE_SYSTEMD
    if (int r = sd_notify(0, state.c_str()); r < 0)
        spdlog::warn("sd_notify({}) failed: {}", state, std::generic_category().message(-r));
#else
    (void)state;
#endif
}

}  // namespace shmifd
