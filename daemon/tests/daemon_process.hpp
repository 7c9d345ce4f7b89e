// A shmifd child process for integration tests: started with its output in a log file,
// waited for until its control socket answers, called through ControlClient, and stopped
// by a signal, every wait bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shmifd/control/client.hpp"

namespace shmifd::test {

using namespace std::chrono_literals;

// Runs `argv` (argv[0] a path) with stdout and stderr into `log` and `env` ("K=V") added to
// the environment; the child dies with the test process (PR_SET_PDEATHSIG).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::vector<std::string>& env = {});
// The exit status (or 128 + signal) once the process ended, nullopt on timeout.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout);
std::string read_file(const std::string& path);
void write_text_file(const std::string& path, const std::string& text);

// Waits (bounded) until `check` holds, re-evaluating it every 20 ms.
template <class Fn>
bool wait_until(Fn check, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!check()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

class DaemonProcess {
  public:
    // `dir`: where the socket (NAME.sock) and the log (NAME.log) go. `args` follow the
    // binary; --socket is added. `env`: as spawn().
    DaemonProcess(std::string dir, std::string name, std::vector<std::string> args,
                  std::vector<std::string> env = {});
    ~DaemonProcess();  // SIGKILL if still running
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    // Quick form: one interface eth0 on `bus` with `addr`, `workers` workers.
    static std::vector<std::string> quick(const std::string& bus, const std::string& addr,
                                          int workers = 2);

    // Until `version` answers (true) or the process died / the time ran out (false).
    bool wait_ready(std::chrono::milliseconds timeout = 10s);
    // One request on a fresh connection; the reply's result (or its error).
    control::Result call(const std::string& cmd, nlohmann::json args = nlohmann::json::object(),
                         std::chrono::milliseconds timeout = 10s);
    // As call(), but a failure of the test when the daemon answers an error.
    nlohmann::json ok(const std::string& cmd, nlohmann::json args = nlohmann::json::object(),
                      std::chrono::milliseconds timeout = 10s);
    // `count` pings 20 ms apart to `to`, each waited for `timeout_ms`; the reply (received...).
    nlohmann::json ping(const std::string& to, int count, int timeout_ms);

    void signal(int sig) const;
    // Sends `sig` and waits for the exit status.
    std::optional<int> stop(int sig, std::chrono::milliseconds timeout = 10s);
    void kill9();
    // Starts it again with the same arguments.
    void restart();

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }
    const std::string& socket() const { return socket_; }
    const std::string& log_path() const { return log_; }
    std::string log() const { return read_file(log_); }

  private:
    std::string socket_;
    std::string log_;
    std::vector<std::string> argv_;
    std::vector<std::string> env_;
    pid_t pid_ = -1;
};

// How many addresses of an addr.list reply were configured: all but the IPv6 link-local ones
// the stack makes from each MAC ("auto": true).
inline std::size_t configured_addresses(const nlohmann::json& reply) {
    std::size_t n = 0;
    for (const auto& a : reply.at("addresses"))
        if (!(a.contains("auto") && a.at("auto") == true)) ++n;
    return n;
}

}  // namespace shmifd::test
