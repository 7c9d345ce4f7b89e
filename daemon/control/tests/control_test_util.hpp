// Shared by the control tests: a ControlServer on its own io_context threads with a handler
// the test scripts, and a child-process runner for shmifctl.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shmifd/control/client.hpp"
#include "shmifd/control/server.hpp"
#include "temp_dir.hpp"

namespace shmifd::control::test {

using namespace std::chrono_literals;

// Answers as the test says; by default echoes {"cmd": ..., "args": ...} at once.
class ScriptedHandler : public CommandHandler {
  public:
    using Script = std::function<void(Request, Done)>;
    void handle(Request request, Done done) override;
    void set(Script script) { script_ = std::move(script); }

  private:
    Script script_;
};

// Threads that finish requests later (out of order, from elsewhere), joined at the end.
class LaterPool {
  public:
    ~LaterPool() { join(); }
    void after(std::chrono::milliseconds delay, std::function<void()> fn);
    void join();

  private:
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

class ServerHarness {
  public:
    explicit ServerHarness(ServerOptions options = {}, int threads = 1);
    ~ServerHarness();

    const std::string& socket() const { return socket_; }
    ControlServer& server() { return *server_; }
    ScriptedHandler& handler() { return handler_; }
    boost::asio::io_context& io() { return io_; }

    ControlClient connect() const;
    // A raw connected socket (blocking), for abuse tests.
    int raw_connect() const;
    // Graceful stop; true once on_stopped ran within `limit`.
    bool stop(std::chrono::milliseconds limit = 10s);

  private:
    shmif::test::TempDir dir_;
    std::string socket_;
    ScriptedHandler handler_;
    boost::asio::io_context io_;
    std::optional<ControlServer> server_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
    std::vector<std::thread> threads_;
};

// One reply to one request (fails the test on a client error).
nlohmann::json call(ControlClient& client, const std::string& cmd,
                    nlohmann::json args = nlohmann::json::object());
// Reads a reply line and parses it as JSON.
nlohmann::json read_reply(ControlClient& client, std::chrono::milliseconds timeout = 5s);

struct ProcessResult {
    int exit_code = -1;  // -1: killed after the time limit or by a signal
    std::string out;
    std::string err;
};
// Runs argv[0] with argv and extra environment entries ("NAME=value"; "NAME=" unsets).
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          std::chrono::milliseconds limit = 20s);

// The resident set of this process, in KiB (from /proc/self/status).
long resident_kib();
// Sanitizers keep freed memory aside (ASan's quarantine), so RSS bounds only mean something
// without them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif

}  // namespace shmifd::control::test
