// The lab's daemons as processes: started detached (their own session, output in a log file)
// so they outlive `shmiflab up`, and stopped by pid with every wait bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace shmiflab {

// Runs argv (argv[0] a path) in a new session, stdin from /dev/null, stdout and stderr
// appended to `log`. An exec failure is written to the log and the child exits 127.
std::expected<pid_t, std::string> start_detached(const std::vector<std::string>& argv,
                                                 const std::string& log);

// The wait status of our child `pid` once it ends, waited for until `deadline`; nothing if it
// is still running then (or cannot be waited for).
std::optional<int> wait_child(pid_t pid, std::chrono::steady_clock::time_point deadline);

// Running, and not a zombie. Reaps `pid` if it is our child and has ended.
bool alive(pid_t pid);

// The process `pid` still runs the program started with `marker` among its arguments (a
// node's config path): a pid file is not trusted after the pid was reused.
bool runs_with(pid_t pid, const std::string& marker);

// SIGTERM to each, up to `grace` for all to end, then SIGKILL to the rest and up to a
// second more. The pids still alive after that (none, normally).
std::vector<pid_t> stop_all(const std::vector<pid_t>& pids, std::chrono::milliseconds grace);

std::optional<pid_t> read_pid_file(const std::string& path);
bool write_pid_file(const std::string& path, pid_t pid);

// The last `lines` lines of a text file ("" if unreadable).
std::string tail_of(const std::string& path, std::size_t lines);

}  // namespace shmiflab
