// A stand-in for shmifd's control socket in unit tests: listens on a path, answers each
// request line with what the test's handler says, passing a descriptor on the reply's first
// byte when asked; and a minimal socket table (sock.open makes a real socketpair whose
// daemon end carries the daemon's abstract name), so that libshmifsock meets the protocol's
// shapes without a daemon.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace shmifsock::test {

struct Answer {
    nlohmann::json result = nlohmann::json::object();  // when ok
    bool ok = true;
    nlohmann::json error;  // when not: {"code", "errno"}
    int fd = -1;           // passed with the reply, then closed here

    static Answer success(nlohmann::json result);
    static Answer failure(const char* code, const char* errno_name = nullptr);
};

class FakeDaemon {
  public:
    using Handler = std::function<Answer(const nlohmann::json& request)>;

    FakeDaemon(std::string path, Handler handler);
    ~FakeDaemon();
    FakeDaemon(const FakeDaemon&) = delete;
    FakeDaemon& operator=(const FakeDaemon&) = delete;

    const std::string& path() const { return path_; }
    // Every request so far, in arrival order.
    std::vector<nlohmann::json> requests() const;
    int connections() const { return connections_.load(); }
    // Hangs up on every client and stops listening: a daemon that died.
    void die();

  private:
    void accept_loop();
    void serve(int fd);

    std::string path_;
    Handler handler_;
    int listener_ = -1;
    int stop_ = -1;  // eventfd
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<nlohmann::json> requests_;
    std::vector<int> clients_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

// Daemon-side ends of the sockets the fake opened, by id; named "\0shmifd/TAG/ID" (with "/6"
// for an inet6 socket).
class FakeSockets {
  public:
    static constexpr int kPairSndbuf = 65536;

    FakeSockets();
    ~FakeSockets();
    // sock.open's answer for `type` ("tcp" or "udp") and `domain` ("inet" or "inet6").
    Answer open(const std::string& type, const std::string& domain = "inet");
    // The daemon's end of socket `sock` (-1 when unknown).
    int daemon_end(std::uint64_t sock) const;
    std::uint64_t last() const {
        std::lock_guard lock(mutex_);  // open() runs on the fake daemon's thread
        return next_ - 1;
    }

  private:
    // Abstract names are shared by every process of the host: tests running at once must not
    // take each other's, so the tag holds the pid and an instance count.
    std::string tag_;
    mutable std::mutex mutex_;
    std::map<std::uint64_t, int> ends_;
    std::uint64_t next_ = 1;
};

}  // namespace shmifsock::test
