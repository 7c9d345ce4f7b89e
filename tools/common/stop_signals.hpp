// SIGINT and SIGTERM ask a tool to stop cleanly: they set a flag the tool's loop checks.
// Installed without SA_RESTART, so a blocking wait (a receive, a pacing sleep, a read from
// a pipe) returns early instead of resuming.
#pragma once

#include <csignal>

namespace shmif::tool {

extern volatile std::sig_atomic_t stop_requested;
void install_stop_handlers();

}  // namespace shmif::tool
