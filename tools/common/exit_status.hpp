// Exit statuses every shmif tool uses, so scripts can rely on them (README.md, "Exit status").
#pragma once

namespace shmif::tool {

enum ExitStatus : int {
    exit_ok = 0,
    exit_failure = 1,      // the operation failed, or nothing was received (no such bus, ...)
    exit_usage = 2,        // bad options or values, or a bad configuration
    exit_unreachable = 3,  // the daemon cannot be reached (shmifctl)
};

}  // namespace shmif::tool
