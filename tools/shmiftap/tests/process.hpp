// Tool processes for integration tests: spawned with posix_spawn, stdout/stderr into files of
// a TempDir, every wait bounded, killed (SIGKILL) and reaped by the destructor whatever
// happened. Shared by the shmiftap and shmifhost tests, and tests/unit/event_loop_example_test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace shmifd::test {

struct Outcome {
    int exit_code = -1;  // -1: killed by a signal or by the timeout
    std::string out;     // its stdout
    std::string err;     // its stderr
};

class Process {
  public:
    Process(const shmif::test::TempDir& dir, std::vector<std::string> argv);
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    bool started() const { return pid_ > 0; }
    bool running();  // not yet exited (reaps it when it has)
    void signal(int sig) const;
    // Waits up to `timeout`; after that kills it and records exit_code -1.
    Outcome wait(std::chrono::milliseconds timeout);
    std::string err_so_far() const;  // stderr written until now
    std::string out_so_far() const;
    const std::string& command() const { return command_; }

  private:
    std::string out_path_, err_path_, command_;
    pid_t pid_ = -1;
    int status_ = -1;
    bool exited_ = false;
};

// Runs to completion (bounded by `timeout`).
Outcome run(const shmif::test::TempDir& dir, std::vector<std::string> argv,
            std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Polls `condition` every 10 ms until it holds or `timeout` passes. Returns its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

std::string slurp(const std::string& path);

}  // namespace shmifd::test
