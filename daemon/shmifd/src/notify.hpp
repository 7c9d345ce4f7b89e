// Readiness and state for systemd (Type=notify): READY=1, RELOADING=1, STOPPING=1, STATUS=.
// Does nothing when NOTIFY_SOCKET is unset or libsystemd was not available at build time.
#pragma once

#include <string>

namespace shmifd {

void notify_systemd(const std::string& state);

}  // namespace shmifd
