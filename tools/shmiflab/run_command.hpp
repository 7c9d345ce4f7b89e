// Running a short program (ip, sysctl, ping) to its end: exit status and output, bounded in
// time.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <vector>

namespace shmiflab {

struct CommandResult {
    int exit_status = -1;  // -1: ended by a signal, or killed when its time was up
    bool timed_out = false;
    std::string output;  // stdout and stderr together
};

// Runs argv (argv[0] a path), stdin from /dev/null; after `timeout` it is killed (SIGKILL).
// An error only when it could not be started at all.
std::expected<CommandResult, std::string> run_command(const std::vector<std::string>& argv,
                                                      std::chrono::milliseconds timeout);

// argv as one line for messages: "ip -n NS addr add ...".
std::string command_line(const std::vector<std::string>& argv);

}  // namespace shmiflab
