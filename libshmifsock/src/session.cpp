#include "session.hpp"

#include <cerrno>

#include "mutex_lock.hpp"
#include "peer_name.hpp"
#include "reply.hpp"

namespace shmifsock {
namespace {

// Bumped in every child a fork makes: a session whose connection belongs to an older
// generation was inherited and must not be used (the parent may be mid-request on it).
std::atomic<std::uint64_t> g_fork_generation{0};

// Every live session, for the fork handler, which re-initialises their mutexes in the child
// (a thread of the parent may have held one when fork was called; that thread does not exist
// in the child).
pthread_mutex_t g_registry_mutex = PTHREAD_MUTEX_INITIALIZER;
Session* g_registry = nullptr;
pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;

}  // namespace

std::expected<std::unique_ptr<Session>, int> Session::open(std::string path) {
    auto channel = ControlChannel::open(path);
    if (!channel) return std::unexpected(channel.error());
    auto session = std::make_unique<Session>(std::move(path), std::move(*channel));
    const auto version = session->call("version", nlohmann::json::object());
    if (!version) return std::unexpected(version.error() == EOPNOTSUPP ? EPROTO : version.error());
    if (version->result.value("protocol", 0) != 1) return std::unexpected(EPROTO);
    return session;
}

Session::Session(std::string path, ControlChannel channel)
    : path_(std::move(path)),
      channel_(std::move(channel)),
      channel_generation_(g_fork_generation.load()) {
    pthread_once(&g_atfork_once, [] {
        pthread_atfork([] { pthread_mutex_lock(&g_registry_mutex); },
                       [] { pthread_mutex_unlock(&g_registry_mutex); }, &Session::on_fork_child);
    });
    MutexLock lock(g_registry_mutex);
    next_ = g_registry;
    g_registry = this;
}

Session::~Session() {
    MutexLock lock(g_registry_mutex);
    for (Session** link = &g_registry; *link != nullptr; link = &(*link)->next_) {
        if (*link == this) {
            *link = next_;
            break;
        }
    }
}

void Session::on_fork_child() {
    g_fork_generation.fetch_add(1);
    for (Session* s = g_registry; s != nullptr; s = s->next_) {
        pthread_mutex_init(&s->mutex_, nullptr);
        pthread_mutex_init(&s->lane_mutex_, nullptr);
        s->known_.reset_mutex();
    }
    pthread_mutex_unlock(&g_registry_mutex);
}

std::expected<bool, int> Session::ensure_channel() {
    const auto generation = g_fork_generation.load();
    if (channel_ && channel_generation_ != generation) forget_channel();  // inherited: ours closes
    if (channel_) return true;
    auto channel = ControlChannel::open(path_);
    if (!channel) return std::unexpected(ENOTCONN);
    channel_.emplace(std::move(*channel));
    channel_generation_ = generation;
    return false;
}

std::expected<void, int> Session::collect_owed() {
    for (; owed_ > 0; --owed_) {
        // A posted request's answer: nothing waits for it.
        if (const auto line = channel_->read_line(); !line) {
            drop_channel(line.error());
            tag_known_ = false;
            return std::unexpected(line.error() == EPROTO ? EPROTO : ECONNRESET);
        }
    }
    return {};
}

std::expected<Reply, int> Session::call(std::string_view cmd, const nlohmann::json& args) {
    MutexLock lock(mutex_);
    // A request that names no socket may go again on a new connection when the old one was
    // found dead before it left (a restarted daemon answers it). One that names a socket may
    // not: the id was another daemon run's, and the new run may have a socket by that number.
    const bool may_retry = !args.contains("sock");
    for (int attempt = 0;; ++attempt) {
        const auto reused = ensure_channel();
        if (!reused) return std::unexpected(reused.error());
        // Before the request leaves: descriptors ride with the reply that passes them, and a
        // read that took an owed reply and the start of this one's at once could not tell
        // whose they are.
        if (const auto owed = collect_owed(); !owed) return std::unexpected(owed.error());
        const auto id = next_id_++;
        if (const auto sent = channel_->send(request_line(id, cmd, args)); !sent) {
            drop_channel(sent.error());
            tag_known_ = false;  // whoever answers next may be another daemon run
            if (*reused && may_retry && attempt == 0) continue;
            return std::unexpected(sent.error() == ECONNRESET ? ECONNRESET : EPIPE);
        }
        auto line = channel_->read_line();
        if (!line) {
            drop_channel(line.error());
            tag_known_ = false;
            return std::unexpected(line.error() == EPROTO ? EPROTO : ECONNRESET);
        }
        auto result = parse_reply(line->text, id);
        if (!result) {
            if (result.error() == EPROTO) {
                forget_channel();
                tag_known_ = false;
            }
            return std::unexpected(result.error());
        }
        if (cmd == "sock.open") learn_from_open(*result);
        return Reply{std::move(*result), std::move(line->fds)};
    }
}

std::expected<void, int> Session::post(std::string_view cmd, const nlohmann::json& args) {
    // Bounded: replies nobody reads would fill the connection and stall the daemon's side.
    constexpr std::size_t max_owed = 32;
    MutexLock lock(mutex_);
    if (const auto reused = ensure_channel(); !reused) return std::unexpected(reused.error());
    if (owed_ >= max_owed) {
        if (const auto owed = collect_owed(); !owed) return std::unexpected(owed.error());
    }
    if (const auto sent = channel_->send(request_line(next_id_++, cmd, args)); !sent) {
        drop_channel(sent.error());
        tag_known_ = false;
        return std::unexpected(sent.error() == ECONNRESET ? ECONNRESET : EPIPE);
    }
    ++owed_;
    return {};
}

bool Session::send_lane_change(std::uint64_t sock, std::uint32_t option, std::int32_t value) {
    MutexLock lock(lane_mutex_);
    if (!lane_) {
        if (lane_refused_) return false;
        // The socket names the worker to read it (the one that runs the socket); a daemon
        // from before that argument refuses it (EINVAL) and is asked without.
        auto reply = call("sock.lane", {{"sock", sock}});
        if (!reply && reply.error() == EINVAL) reply = call("sock.lane", nlohmann::json::object());
        if (!reply) {
            // An older daemon (EOPNOTSUPP) or one at its limit: the control socket it is.
            // A daemon that could not be reached is asked again next time.
            lane_refused_ =
                reply.error() != ENOTCONN && reply.error() != ECONNRESET && reply.error() != EPIPE;
            return false;
        }
        const auto name = reply->result.value("name", std::string());
        if (reply->fds.empty() || name.empty()) {
            lane_refused_ = true;
            return false;
        }
        lane_.emplace(std::move(reply->fds.front()), name);
    }
    switch (lane_->send(shmifsock_lane_change{.sock = sock, .option = option, .value = value})) {
        case Lane::Sent::sent:
            return true;
        case Lane::Sent::full:
            return false;
        case Lane::Sent::broken:
            lane_.reset();  // the next change asks for a new one (a restarted daemon)
            return false;
    }
    return false;
}

void Session::forget_channel() {
    channel_.reset();
    owed_ = 0;
}

void Session::drop_channel(int error) {
    if (error == EBADF || error == ENOTSOCK) channel_->abandon();
    forget_channel();
}

void Session::learn_from_open(const nlohmann::json& result) {
    if (const auto sndbuf = result.find("pair_sndbuf");
        sndbuf != result.end() && sndbuf->is_number_integer())
        pair_sndbuf_.store(sndbuf->get<int>(), std::memory_order_relaxed);
    if (const auto text = result.find("tag"); text != result.end() && text->is_string()) {
        if (const auto tag = parse_tag(text->get_ref<const std::string&>())) {
            tag_.store(*tag);
            tag_known_.store(true);
        }
    }
}

std::optional<std::uint64_t> Session::tag() {
    if (!tag_known_.load()) {
        // The reply teaches the tag (learn_from_open); the probe's descriptor closes here.
        if (!call("sock.open", {{"type", "udp"}})) return std::nullopt;
        if (!tag_known_.load()) return std::nullopt;
    }
    return tag_.load();
}

}  // namespace shmifsock
