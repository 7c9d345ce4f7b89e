#include "socket_service.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <latch>

#include "../dataplane.hpp"
#include "../shard.hpp"
#include "accept_handoff.hpp"
#include "endpoint_json.hpp"
#include "shard_sockets.hpp"
#include "shmifsock/wire.h"
#include "sock_request.hpp"
#include "socket_family.hpp"
#include "socket_pair.hpp"

namespace shmifd::sockets {

namespace {

using control::CommandError;
using nlohmann::json;

constexpr std::size_t max_backlog = 65535;

CommandError errno_error(std::string message, std::string name) {
    return {"failed", std::move(message), std::move(name)};
}

// Options by their socket-API names: what sock.setopt may change, and how.
bool set_option(SockOptions& o, std::string_view name, std::int64_t value) {
    const auto size = static_cast<std::size_t>(std::max<std::int64_t>(value, 0));
    if (name == "SO_REUSEADDR") {
        o.reuse_address = value != 0;
    } else if (name == "SO_BROADCAST") {
        o.broadcast = value != 0;
    } else if (name == "SO_KEEPALIVE") {
        o.tcp.keepalive = value != 0;
    } else if (name == "TCP_NODELAY") {
        o.tcp.no_delay = value != 0;
    } else if (name == "SO_LINGER") {
        o.linger_seconds = static_cast<int>(std::clamp<std::int64_t>(value, -1, 1 << 20));
        o.tcp.linger_zero = value == 0;
    } else if (name == "SO_RCVBUF") {
        o.tcp.receive_buffer = size;
        o.udp_receive_buffer = size;
    } else if (name == "SO_SNDBUF") {
        o.tcp.send_buffer = size;
        o.udp_send_buffer = size;
    } else {
        return false;
    }
    return true;
}

std::optional<std::int64_t> get_option(const SockRecord& r, std::string_view name) {
    const auto& o = r.options;
    auto size = [](std::size_t s, std::size_t fallback) {
        return static_cast<std::int64_t>(s != 0 ? s : fallback);
    };
    if (name == "SO_REUSEADDR") return o.reuse_address;
    if (name == "SO_BROADCAST") return o.broadcast;
    if (name == "SO_KEEPALIVE") return o.tcp.keepalive;
    if (name == "TCP_NODELAY") return o.tcp.no_delay;
    if (name == "SO_LINGER") return o.linger_seconds;
    if (name == "SO_RCVBUF")
        return r.type == SockType::tcp ? size(o.tcp.receive_buffer, 128 * 1024)
                                       : size(o.udp_receive_buffer, 1 << 20);
    if (name == "SO_SNDBUF")
        return r.type == SockType::tcp ? size(o.tcp.send_buffer, 256 * 1024)
                                       : size(o.udp_send_buffer, 1 << 20);
    if (name == "SO_TYPE") return r.type == SockType::tcp ? SOCK_STREAM : SOCK_DGRAM;
    if (name == "SO_ACCEPTCONN") return r.state == "listening";
    if (name == "IPV6_V6ONLY" && r.domain == SockDomain::inet6) return o.v6_only;
    return std::nullopt;
}

}  // namespace

SocketService::SocketService(SocketLimits limits) : table_(limits) {}

SocketService::~SocketService() = default;

void SocketService::start(Dataplane& dataplane) {
    context_ = std::unique_ptr<ServiceContext>(new ServiceContext{table_, dataplane.posters(), {}});
    for (Shard* shard : dataplane.shards())
        context_->shards.push_back(&shard->sockets());
    context_->lanes.by_worker = std::vector<std::atomic<std::uint64_t>>(context_->shards.size());
    lobby_slot_ = waker_.add(lobby_.fd(), [this] {
        lobby_.drain([this](std::uint64_t id) {
            auto record = table_.find(id);
            if (!record) return;
            int fd = -1;
            {
                std::lock_guard lock(record->mutex);
                if (record->placed) return;  // a shard runs it now (or is about to)
                fd = std::exchange(record->daemon_end, -1);
                record->closed = true;
            }
            if (fd >= 0) ::close(fd);
            table_.remove(id, "");
        });
        waker_.arm(lobby_slot_);
    });
    waker_.arm(lobby_slot_);
    // Each shard learns the context on its own thread, before any socket reaches it.
    std::latch attached(static_cast<std::ptrdiff_t>(context_->shards.size()));
    for (std::size_t i = 0; i < context_->shards.size(); ++i) {
        const auto poster = context_->posters[i];
        const auto slot =
            waker_.add(context_->shards[i]->reactor().fd(), [poster] { poster.post([] {}); });
        if (!context_->post(i, [this, slot, &attached](ShardSockets& s) {
                s.attach(context_.get(), &waker_, slot);
                attached.count_down();
            }))
            attached.count_down();
    }
    attached.wait();
}

std::size_t SocketService::any_shard() {
    return next_shard_.fetch_add(1, std::memory_order_relaxed) % context_->shards.size();
}

void SocketService::handle(std::string_view cmd, control::Args& args,
                           const control::Request& request, control::Done& done) {
    const SockRequest r = decode_sock_request(cmd, args);
    using Kind = SockRequest::Kind;
    switch (r.kind) {
        case Kind::open:
            return open(r, request, done);
        case Kind::bind:
            return bind(r, done);
        case Kind::listen:
            return listen(r, done);
        case Kind::connect:
            return connect(r, done);
        case Kind::accept:
            return accept(r, done);
        case Kind::name:
            return name(r, done);
        case Kind::setopt:
            return setopt(r, done);
        case Kind::getopt:
            return getopt(r, done);
        case Kind::list:
            return list(done);
        case Kind::lane:
            return lane(r, done);
    }
}

std::shared_ptr<SockRecord> SocketService::record(std::uint64_t id) {
    auto found = table_.find(id);
    if (!found) throw control::ArgumentError("no socket " + std::to_string(id), "not_found");
    return found;
}

void SocketService::open(const SockRequest& request_args, const control::Request& request,
                         control::Done& done) {
    const auto type = request_args.type;
    auto added = table_.add(type, request_args.domain, request.peer_pid, request.client);
    if (!added) return done(std::unexpected(errno_error("too many sockets", added.error())));
    auto record = *added;
    auto pair = make_socket_pair(type, table_.abstract_name(record->id, record->domain));
    if (!pair) {
        table_.remove(record->id, "");
        return done(std::unexpected(errno_error("cannot create a socketpair", pair.error())));
    }
    const Filler filler = type == SockType::tcp ? fill_client_end(*pair) : Filler{};
    {
        std::lock_guard lock(record->mutex);
        record->daemon_end = pair->daemon;
        record->junk = filler.bytes;
    }
    json result{
        {"sock", record->id}, {"tag", table_.tag()}, {"pair_sndbuf", filler.restore_sndbuf}};
    auto client_end = std::make_shared<control::OwnedFds>(pair->client);
    if (type == SockType::tcp) {
        lobby_.add(pair->daemon, record->id);
        return done(std::move(result), std::move(*client_end));
    }
    // A UDP socket's data path starts at once (an unbound sendto binds implicitly); the
    // reply waits until a shard runs it, so that later requests find it placed.
    context_->post(any_shard(), [record, result, client_end, done](ShardSockets& s) mutable {
        s.place_udp(record, std::nullopt,
                    control::Done{[result, client_end, done](control::Result placed,
                                                             control::OwnedFds) mutable {
                        if (!placed) return done(std::move(placed));
                        done(std::move(result), std::move(*client_end));
                    }});
    });
}

void SocketService::bind(const SockRequest& request, control::Done& done) {
    auto r = record(request.sock);
    std::unique_lock lock(r->mutex);
    const auto mapped = to_stack(r->domain, r->options.v6_only, request.endpoint, AddressUse::bind);
    if (!mapped)
        return done(std::unexpected(errno_error("cannot bind that address", mapped.error())));
    const auto local = *mapped;
    if (r->local) return done(std::unexpected(errno_error("already bound", "EINVAL")));
    if (r->type == SockType::tcp) {
        if (r->placed) return done(std::unexpected(errno_error("already connected", "EINVAL")));
        // The port must be free on every shard: refuse one that a socket of ours holds, by
        // Linux's rule (inet_csk_bind_conflict): two sockets share a port only when both set
        // SO_REUSEADDR and the other is not listening.
        if (local.port != 0)
            for (const auto& other : table_.all()) {
                if (other.get() == r.get()) continue;
                std::lock_guard other_lock(other->mutex);
                if (other->type != SockType::tcp || !other->local ||
                    other->local->port != local.port || client_gone(*other))
                    continue;
                // The stack's rule (netstack::bindings_overlap): :: is dual-stack and holds
                // 0.0.0.0 too, unless IPV6_V6ONLY.
                const bool overlap =
                    netstack::bindings_overlap({other->local->address, other->options.v6_only},
                                               {local.address, r->options.v6_only});
                const bool shared = r->options.reuse_address && other->options.reuse_address &&
                                    other->state != "listening";
                if (overlap && !shared)
                    return done(std::unexpected(errno_error("address in use", "EADDRINUSE")));
            }
        r->local = local;
        r->state = "bound";
        lock.unlock();
        return done(endpoint_json(r->domain, local));
    }
    // UDP: the port's shard owns it (netstack's rule: port % shards); port 0 stays where
    // the socket runs, whose stack picks a port it owns.
    const std::size_t here = r->shard.value_or(0);
    const std::size_t target = local.port != 0 ? local.port % context_->shards.size() : here;
    lock.unlock();
    // The data path leaves its shard with the descriptor, then starts on the port's shard.
    context_->post(here, [this, r, local, target, done](ShardSockets& s) mutable {
        s.detach_udp(r->id, [this, r, local, target, done](int fd) mutable {
            if (fd < 0)
                return done(std::unexpected(CommandError{"not_found", "socket closed", "EBADF"}));
            {
                std::lock_guard l(r->mutex);
                r->daemon_end = fd;
            }
            context_->post(
                target, [r, local, done](ShardSockets& t) mutable { t.place_udp(r, local, done); });
        });
    });
}

bool SocketService::take_from_lobby(SockRecord& r) {
    std::lock_guard lock(r.mutex);
    if (r.placed || r.daemon_end < 0) return false;
    r.placed = true;  // the lobby leaves it alone from now on
    lobby_.remove(r.daemon_end);
    return true;
}

void SocketService::return_to_lobby(const std::shared_ptr<SockRecord>& r) {
    std::lock_guard lock(r->mutex);
    r->placed = false;
    r->shard.reset();
    if (r->daemon_end >= 0) lobby_.add(r->daemon_end, r->id);
}

void SocketService::listen(const SockRequest& request, control::Done& done) {
    auto r = record(request.sock);
    const auto backlog = request.backlog;
    if (r->type != SockType::tcp)
        return done(std::unexpected(errno_error("not a TCP socket", "EOPNOTSUPP")));
    {
        std::lock_guard lock(r->mutex);
        if (r->state == "listening") return done(json::object());  // as Linux: backlog only
    }
    if (!take_from_lobby(*r))
        return done(std::unexpected(errno_error("already connected", "EINVAL")));
    {
        std::lock_guard lock(r->mutex);
        r->backlog = std::clamp<std::size_t>(backlog, 1, max_backlog);
        r->handoff = request.handoff;
        // A listener's descriptor carries accept tokens, not data: the filler goes now.
        r->junk = discard_filler(r->daemon_end, r->junk);
    }
    listen_everywhere(r, done);
}

// Shard 0 first: with port 0 its stack picks the port, which every other shard then takes.
void SocketService::listen_everywhere(std::shared_ptr<SockRecord> r, control::Done done) {
    const std::size_t shards = context_->shards.size();
    struct Progress {
        std::mutex mutex;
        std::size_t answered = 0;
        std::size_t succeeded = 0;
        std::optional<control::CommandError> error;
        json local;
    };
    auto progress = std::make_shared<Progress>();
    {
        std::lock_guard lock(r->mutex);
        r->backlog_shares = shards;
    }
    auto finish_all = [this, r, done, progress, shards]() {
        if (!progress->error) {
            {
                std::lock_guard lock(r->mutex);
                r->state = "listening";
            }
            return done(progress->local);
        }
        // Undo: every share stops (shares never reach zero: the descriptor stays open), then
        // the socket is fresh again. Without waiting here: this runs on a worker, which may
        // be one of those that must run a stop.
        auto undo = [this, r, done, progress] {
            {
                std::lock_guard lock(r->mutex);
                r->backlog = 0;
                r->backlog_shares = 0;
                r->ready.clear();
            }
            return_to_lobby(r);
            done(std::unexpected(*progress->error));
        };
        auto left = std::make_shared<std::atomic<std::size_t>>(shards);
        auto one_stopped = [left, undo] {
            if (left->fetch_sub(1) == 1) undo();
        };
        for (std::size_t i = 0; i < shards; ++i)
            if (!context_->post(i, [r, one_stopped](ShardSockets& s) {
                    s.stop_listener(r->id);
                    one_stopped();
                }))
                one_stopped();
    };
    auto on_share = [progress, shards, finish_all](const control::Result& result) {
        bool last = false;
        {
            std::lock_guard lock(progress->mutex);
            if (result) {
                ++progress->succeeded;
                if (progress->local.is_null()) progress->local = result->value("local", json());
            } else if (!progress->error) {
                progress->error = result.error();
            }
            last = ++progress->answered == shards;
        }
        if (last) finish_all();
    };
    context_->post(0, [this, r, on_share, shards](ShardSockets& s) {
        s.listen(
            r,
            control::Done{[this, r, on_share, shards](control::Result result, control::OwnedFds) {
                const bool ok = result.has_value();
                on_share(result);
                for (std::size_t i = 1; i < shards; ++i) {
                    if (!ok) {
                        on_share(std::unexpected(control::CommandError{"failed", "skipped", ""}));
                        continue;
                    }
                    context_->post(i, [r, on_share](ShardSockets& other) {
                        other.listen(
                            r, control::Done{[on_share](control::Result res, control::OwnedFds) {
                                on_share(res);
                            }});
                    });
                }
            }});
    });
}

void SocketService::connect(const SockRequest& request, control::Done& done) {
    auto r = record(request.sock);
    netstack::Endpoint remote;
    if (!request.disconnect) {
        std::lock_guard lock(r->mutex);
        const auto mapped =
            to_stack(r->domain, r->options.v6_only, request.endpoint, AddressUse::connect);
        if (!mapped)
            return done(
                std::unexpected(errno_error("cannot connect to that address", mapped.error())));
        remote = *mapped;
    }
    const bool wait = request.wait;
    if (r->type == SockType::udp) {
        std::size_t shard = 0;
        {
            std::lock_guard lock(r->mutex);
            shard = r->shard.value_or(0);
        }
        std::optional<netstack::Endpoint> peer;
        if (!request.disconnect) peer = remote;
        context_->post(
            shard, [r, peer, done](ShardSockets& s) mutable { s.udp_connect(r->id, peer, done); });
        return;
    }
    if (request.disconnect)  // Linux would abort the connection; not offered here
        return done(std::unexpected(errno_error("disconnecting a TCP socket", "EOPNOTSUPP")));
    if (!take_from_lobby(*r)) {
        std::lock_guard lock(r->mutex);
        const bool connecting = r->state == "SYN-SENT";
        return done(std::unexpected(
            connecting
                ? errno_error("a connect is in progress", "EALREADY")
                : errno_error(r->state == "listening" ? "the socket listens" : "already connected",
                              r->state == "listening" ? "EINVAL" : "EISCONN")));
    }
    context_->post(any_shard(), [this, r, remote, wait, done](ShardSockets& s) mutable {
        s.connect(r, remote, wait,
                  control::Done{[this, r, done](control::Result result, control::OwnedFds) {
                      // Refused before the handshake began: the socket is fresh again.
                      bool fresh = false;
                      {
                          std::lock_guard lock(r->mutex);
                          fresh = !result && r->daemon_end >= 0 && r->state != "SYN-SENT";
                      }
                      if (fresh) return_to_lobby(r);
                      done(std::move(result));
                  }});
    });
}

void SocketService::accept(const SockRequest& request, control::Done& done) {
    auto r = record(request.sock);
    std::optional<ReadyConnection> ready;
    {
        std::lock_guard lock(r->mutex);
        if (r->state != "listening")
            return done(std::unexpected(errno_error("the socket is not listening", "EINVAL")));
        if (!r->ready.empty()) {
            took_front(*r);
            ready = std::move(r->ready.front());
            r->ready.pop_front();
        }
    }
    if (!ready) return done(std::unexpected(errno_error("no connection is ready", "EAGAIN")));
    // Room in the ready queue: every shard may take more from its stack.
    for (std::size_t i = 0; i < context_->shards.size(); ++i)
        context_->post(i, [id = r->id](ShardSockets& s) { s.accept_more(id); });
    done(json{{"sock", ready->sock},
              {"local", endpoint_json(r->domain, ready->local)},
              {"remote", endpoint_json(r->domain, ready->remote)}},
         std::move(ready->client_end));
}

void SocketService::name(const SockRequest& request, control::Done& done) {
    const auto id = request.sock;
    auto r = table_.find(id);
    if (!r) {
        // Closed: the local address stays (getsockname), there is no peer (getpeername:
        // ENOTCONN); SO_ERROR is left for its own request. The table kept the address as the
        // client saw it: shown unchanged.
        if (table_.closed(id))
            return done(json{{"state", "CLOSED"},
                             {"local", endpoint_json(SockDomain::inet, table_.closed_local(id))},
                             {"remote", nullptr}});
        return done(std::unexpected(CommandError{"not_found", "no such socket", "EBADF"}));
    }
    std::lock_guard lock(r->mutex);
    done(json{{"type", type_name(r->type)},
              {"domain", domain_name(r->domain)},
              {"state", r->state},
              {"local", endpoint_json(r->domain, r->local)},
              {"remote", endpoint_json(r->domain, r->remote)}});
}

void SocketService::setopt(const SockRequest& request, control::Done& done) {
    auto r = record(request.sock);
    const auto& name_text = request.option;
    const auto value = request.value;
    std::optional<std::size_t> shard;
    {
        std::lock_guard lock(r->mutex);
        if (name_text == "IPV6_V6ONLY") {
            if (r->domain != SockDomain::inet6)
                return done(std::unexpected(errno_error("not an inet6 socket", "ENOPROTOOPT")));
            // As Linux: only before the socket has a port (bound, connected or listening).
            if (r->local || r->state != "open")
                return done(std::unexpected(errno_error("the socket has a port", "EINVAL")));
            r->options.v6_only = value != 0;
            return done(json::object());
        }
        if (!set_option(r->options, name_text, value))
            return done(std::unexpected(errno_error("unknown option " + name_text, "ENOPROTOOPT")));
        if (r->placed && r->type == SockType::tcp && r->state != "listening") shard = r->shard;
    }
    if (!shard) return done(json::object());
    context_->post(*shard, [r, done](ShardSockets& s) mutable { s.set_options(r->id, done); });
}

void SocketService::getopt(const SockRequest& request, control::Done& done) {
    const auto id = request.sock;
    const auto& name_text = request.option;
    auto r = table_.find(id);
    if (!r) {
        if (name_text == "SO_ERROR")
            if (auto last = table_.take_tombstone(id)) return done(json{{"value", *last}});
        return done(std::unexpected(CommandError{"not_found", "no such socket", "EBADF"}));
    }
    std::unique_lock lock(r->mutex);
    if (name_text == "SO_ERROR") {
        auto pending = std::exchange(r->pending_error, std::string());
        const bool ask_stack = pending.empty() && r->placed && r->type == SockType::tcp &&
                               r->state != "listening" && r->shard;
        const auto shard = r->shard;
        lock.unlock();
        if (!ask_stack) return done(json{{"value", pending}});
        context_->post(*shard, [id, done](ShardSockets& s) mutable { s.take_error(id, done); });
        return;
    }
    if (name_text == "TCP_INFO") {
        if (r->type != SockType::tcp || !r->placed || !r->shard || r->state == "listening")
            return done(std::unexpected(errno_error("no connection", "ENOTCONN")));
        const auto shard = *r->shard;
        lock.unlock();
        context_->post(shard, [id, done](ShardSockets& s) mutable { s.tcp_info(id, done); });
        return;
    }
    auto value = get_option(*r, name_text);
    if (!value)
        return done(std::unexpected(errno_error("unknown option " + name_text, "ENOPROTOOPT")));
    done(json{{"value", *value}});
}

void SocketService::list(control::Done& done) {
    json rows = json::array();
    for (const auto& r : table_.all()) {
        std::lock_guard lock(r->mutex);
        rows.push_back({{"sock", r->id},
                        {"type", type_name(r->type)},
                        {"domain", domain_name(r->domain)},
                        {"state", r->state},
                        {"pid", r->pid},
                        {"worker", r->shard ? json(*r->shard) : json(nullptr)},
                        {"local", endpoint_json(r->domain, r->local)},
                        {"remote", endpoint_json(r->domain, r->remote)},
                        {"bytes_in", r->bytes_in.load()},
                        {"bytes_out", r->bytes_out.load()},
                        {"drops", r->drops.load()}});
    }
    const auto& lanes = context_->lanes;
    json by_worker = json::array();
    for (const auto& count : lanes.by_worker)
        by_worker.push_back(count.load());
    done(json{{"sockets", rows},
              {"lanes",
               {{"open", lanes.open.load()},
                {"changes", lanes.changes.load()},
                {"rejected", lanes.rejected.load()},
                {"workers", std::move(by_worker)}}}});
}

// A lane's worker: the one that runs the socket whose change asked for it, if it runs. A
// change for a socket of another worker is one more hand-off and wake-up; a server's
// connections tend to be where its first one was (a forward keeps those it accepts on one
// worker, ShardForwards::placement).
std::size_t SocketService::lane_shard(std::uint64_t sock) {
    if (auto record = table_.find(sock)) {
        std::lock_guard lock(record->mutex);
        if (record->placed && record->shard && *record->shard < context_->shards.size())
            return *record->shard;
    }
    return any_shard();
}

void SocketService::lane(const SockRequest& r, control::Done& done) {
    // A process asks for one (a fork's child shares it): the bound is for clients that ask on
    // and on, whose descriptors would otherwise pile up here.
    constexpr std::uint64_t max_lanes = 1024;
    auto& open = context_->lanes.open;
    if (open.fetch_add(1) >= max_lanes) {
        open.fetch_sub(1);
        return done(std::unexpected(errno_error("too many lanes", "EMFILE")));
    }
    const std::string name =
        std::string(SHMIFSOCK_LANE_PREFIX) + table_.tag() + "/" + std::to_string(next_lane_++);
    auto pair = make_socket_pair(SockType::udp, name);  // SOCK_SEQPACKET
    if (!pair) {
        open.fetch_sub(1);
        return done(std::unexpected(errno_error("cannot create a socketpair", pair.error())));
    }
    const int ours = pair->daemon;
    if (!context_->post(lane_shard(r.sock), [ours](ShardSockets& s) { s.add_lane(ours); })) {
        ::close(ours);
        ::close(pair->client);
        open.fetch_sub(1);
        return done(std::unexpected(errno_error("the daemon is stopping", "ECONNRESET")));
    }
    done(json{{"name", name}}, control::OwnedFds(pair->client));
}

}  // namespace shmifd::sockets
