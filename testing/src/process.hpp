// Running a program to its end with its output captured, every wait bounded; finding one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace shmif::testing::detail {

struct Finished {
    int status = -1;     // exit status; 128+N for signal N; -1: not started or killed on time
    std::string output;  // stdout and stderr, interleaved as written
};

// Runs argv[0] (a path) with `extra_env` ("NAME=value") added to the environment. After
// `timeout` the program is killed (SIGKILL) and the output says so.
Finished run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
             std::chrono::milliseconds timeout);

// `name` when it holds a '/', else the first executable NAME in $PATH.
std::optional<std::string> find_program(const std::string& name);

}  // namespace shmif::testing::detail
