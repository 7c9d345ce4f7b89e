// Exit statuses every shmif tool uses, so scripts can rely on them.
#pragma once

namespace shmif::tool {

enum ExitStatus : int {
    exit_ok = 0,
    exit_failure = 1,  // the operation failed (no such bus, not a bus, I/O error, ...)
    exit_usage = 2,    // bad options or values
};

}  // namespace shmif::tool
