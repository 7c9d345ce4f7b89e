// A session with one daemon: one control connection, one request at a time (a mutex around
// each request and its reply), reopened lazily after a fork (the child must not share the
// parent's connection) or after the daemon went away. Learns the daemon's tag and the pair
// send buffer size from sock.open replies.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_channel.hpp"
#include "known_sockets.hpp"
#include "lane.hpp"

namespace shmifsock {

struct Reply {
    nlohmann::json result;
    std::vector<UniqueFd> fds;
};

class Session {
  public:
    // Connects to `path` and checks that a protocol-1 daemon answers `version`: errno of
    // connect(2), EPROTO when something else answers.
    static std::expected<std::unique_ptr<Session>, int> open(std::string path);
    // Over a connected channel (tests: a fake daemon), without the version check.
    Session(std::string path, ControlChannel channel);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // One request and its reply. ENOTCONN when no connection can be made, EPIPE or
    // ECONNRESET when it broke, EPROTO when the reply makes no sense (the connection is then
    // dropped and the next call reconnects), else the errno of the reply's error. A request
    // naming no socket is sent again once on a new connection when the old one was found
    // dead before the request left (a restarted daemon answers it).
    std::expected<Reply, int> call(std::string_view cmd, const nlohmann::json& args);

    // A request nobody waits for: sent, and its reply read and dropped before the next
    // call's request leaves (the daemon answers in request order). For requests that cannot fail
    // once the library checked them, such as TCP_NODELAY on a TCP socket, which servers set on
    // every connection they accept: a round trip saved. The errno of a request that could not be
    // sent (the caller may then call() instead, which reconnects).
    std::expected<void, int> post(std::string_view cmd, const nlohmann::json& args);

    // A change nobody waits for, on the lane (lane.hpp; asked for once, at the first change):
    // no request, no reply. False when it could not go that way (a daemon without lanes, a
    // full or broken lane): the caller asks over the control socket instead.
    bool send_lane_change(std::uint64_t sock, std::uint32_t option, std::int32_t value);

    // The daemon's tag; asks for it (opens and drops a UDP socket) when no sock.open reply
    // said it yet. nullopt when the daemon cannot be reached.
    std::optional<std::uint64_t> tag();
    // What sock.open said to restore SO_SNDBUF to once connected (0: not known yet).
    int pair_sndbuf() const { return pair_sndbuf_.load(std::memory_order_relaxed); }
    const std::string& path() const { return path_; }
    // What replies and hand-off records taught about sockets that cannot change.
    KnownSockets& known() { return known_; }

  private:
    void learn_from_open(const nlohmann::json& result);
    // Closes the connection after `error` (only forgets it when it is no longer ours).
    void drop_channel(int error);
    // Forgets the connection (and the replies owed on it). Under mutex_.
    void forget_channel();
    // Makes sure there is a connection of this process: true when it was there already,
    // ENOTCONN when none can be made. Under mutex_.
    std::expected<bool, int> ensure_channel();
    // Reads the replies owed to posted requests. Under mutex_.
    std::expected<void, int> collect_owed();
    static void on_fork_child();

    std::string path_;
    // Taken before mutex_ when both are (a lane is asked for with call()).
    pthread_mutex_t lane_mutex_ = PTHREAD_MUTEX_INITIALIZER;
    std::optional<Lane> lane_;   // guarded by lane_mutex_
    bool lane_refused_ = false;  // the daemon has no lanes: not asked again (lane_mutex_)
    pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
    std::optional<ControlChannel> channel_;  // guarded by mutex_
    std::uint64_t channel_generation_ = 0;   // the fork generation channel_ belongs to
    std::uint64_t next_id_ = 1;
    std::size_t owed_ = 0;  // replies to posted requests not read yet (guarded by mutex_)
    std::atomic<std::uint64_t> tag_{0};
    std::atomic<bool> tag_known_{false};
    std::atomic<int> pair_sndbuf_{0};
    KnownSockets known_;
    Session* next_ = nullptr;  // in the registry the fork handler walks
};

}  // namespace shmifsock
