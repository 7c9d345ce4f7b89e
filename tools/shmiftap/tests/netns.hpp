// A network namespace a test owns: a unique name (prefix, pid, counter), created by
// `ip netns add` and deleted by the destructor, also when the test fails. Declare it before
// the Processes running inside it, so they are killed first.
#pragma once

#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {

// Why kernel-side tests cannot run here (empty: they can): not root, no /dev/net/tun, no
// `ip`, or `ip netns add` refused.
std::string kernel_tests_unavailable();

class NetNs {
  public:
    NetNs(const shmif::test::TempDir& dir, const std::string& prefix);
    NetNs(const NetNs&) = delete;
    NetNs& operator=(const NetNs&) = delete;
    ~NetNs();

    bool ok() const { return ok_; }
    const std::string& name() const { return name_; }
    // argv prefixed with `nsenter --net=/run/netns/NAME` (see netns.cpp for why not `ip netns
    // exec`).
    std::vector<std::string> exec(std::vector<std::string> argv) const;
    // Runs `ip args...` inside the namespace (or any command with exec()); true on exit 0.
    bool ip(std::vector<std::string> args, std::string* output = nullptr) const;
    // Output of a command run inside, bounded in time.
    Outcome run_inside(std::vector<std::string> argv,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
    // Waits (polling `ss -ltn` inside) until something listens on TCP `port` there; false
    // after `timeout`.
    bool wait_listening(int port,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;

  private:
    const shmif::test::TempDir& dir_;
    std::string name_;
    bool ok_ = false;
};

}  // namespace shmifd::test
