// SIGINT and SIGTERM ask a tool to stop cleanly: they set a flag the tool's loop checks.
// Installed without SA_RESTART, so a blocking wait (a receive, a pacing sleep, a read from
// a pipe) returns early instead of resuming.
#pragma once

#include <atomic>

namespace shmif::tool {

// Set by the handler, read by any of the tool's threads: a lock-free atomic is both
// async-signal-safe and race-free across threads (a volatile sig_atomic_t is only the former).
extern std::atomic<int> stop_requested;
static_assert(std::atomic<int>::is_always_lock_free);
void install_stop_handlers();

}  // namespace shmif::tool
