// TCP (RFC 9293): segment input from IPv4 (ownership by 4-tuple hash first, then connection,
// TIME-WAIT reuse, listener, or a RST), output through route_to/ipv4_output with DF set,
// ICMP errors for connections, timers, and the TCP socket half of the Stack API. The
// protocol itself is tcp/connection*.cpp; this file connects it to the stack.
#include <algorithm>
#include <deque>

#include "src/stack_impl.hpp"
#include "tcp/connection_table.hpp"
#include "tcp/isn.hpp"
#include "tcp/seq.hpp"
#include "tcp/syn_cookie.hpp"
#include "wire/icmp.hpp"
#include "wire/tcp.hpp"

namespace netstack {

using tcp::Connection;
using tcp::FourTuple;
using wire::TcpRepr;
namespace flag = wire::tcp_flag;

namespace {

// Linux's default ephemeral range (ip_local_port_range).
constexpr std::uint16_t ephemeral_first = 32768;
constexpr std::uint16_t ephemeral_last = 60999;
constexpr std::size_t max_loopback_rounds = 4096;

// A segment over a loopback interface is neither summed nor checked (wire::TcpChecksum),
// unless its offload was turned off.
wire::TcpChecksum checksum_on(const link::Interface& iface) {
    return iface.checksum_offload ? wire::TcpChecksum::loopback : wire::TcpChecksum::full;
}

}  // namespace

struct Stack::Impl::TcpLayer final : tcp::ConnectionHost {
    explicit TcpLayer(Impl& s)
        : stack(s),
          isn(s.config.tcp.isn_secret != 0 ? s.config.tcp.isn_secret
                                           : s.config.seed * 0x2545f4914f6cdd1dull + 1),
          challenges(s.config.tcp.challenge_ack_per_second,
                     std::max<std::uint32_t>(s.config.tcp.challenge_ack_per_second / 10, 1)),
          next_port(static_cast<std::uint32_t>(s.config.seed * 7919u)) {}

    // --- ConnectionHost ---
    const TcpConfig& tcp_config() const override { return stack.config.tcp; }
    TcpStats& tcp_stats() override { return stack.stats.tcp; }
    void transmit(const Connection& c, const TcpRepr& seg, Instant now) override {
        send(c.tuple(), seg, now);
    }
    void raise(SocketId socket, std::uint8_t bits) override { stack.raise(socket, bits); }
    bool take_challenge_ack(Instant now) override { return challenges.take(now); }
    void child_established(Connection& listener, Connection& child) override {
        if (listener.half_open > 0) --listener.half_open;
        const bool was_empty = listener.accept_queue.empty();
        listener.accept_queue.push_back(&child);
        if (was_empty && listener.socket != 0) stack.raise(listener.socket, socket_acceptable);
    }
    bool time_wait_begins() override {
        if (time_waits >= stack.config.tcp.max_connections) {
            ++stack.stats.tcp.time_wait_overflow;
            return false;
        }
        ++time_waits;
        return true;
    }
    void time_wait_ends() override {
        if (time_waits > 0) --time_waits;
    }
    bool hold_ack(Connection& c) override {
        if (stack.receive_batches == 0) return false;
        held_acks.push_back(c.serial);
        return true;
    }
    // Serials, not pointers: a connection may be freed before its batch ends.
    std::vector<std::uint64_t> held_acks;
    // Connections that count against config.max_connections: all but TIME-WAIT.
    std::size_t live_connections() const { return table.size() - time_waits; }
    std::size_t time_waits = 0;

    void forward_progress(const Connection& c, Instant now) override {
        stack.confirm_destination(c.tuple().remote.address, now);
    }
    void closed(Connection& c) override {
        table.unindex(c);
        table.mark(c);
        if (Connection* l = c.listener) {
            auto it = std::ranges::find(l->accept_queue, &c);
            if (it != l->accept_queue.end())
                l->accept_queue.erase(it);
            else if (l->half_open > 0)
                --l->half_open;
            c.listener = nullptr;
        }
    }

    // Sends a segment from tuple.local to tuple.remote. Segments to one of our own
    // addresses wait in `loopback` until the current call is over (no re-entry).
    void send(const FourTuple& tuple, const TcpRepr& seg, Instant now) {
        auto route = stack.route_to(tuple.remote.address, tuple.local.address);
        if (!route) {
            ++(tuple.remote.address.is_v4() ? stack.stats.ipv4.drop_no_route
                                            : stack.stats.ipv6.drop_no_route);
            return;
        }
        const IpFamily family = tuple.remote.family();
        Frame frame = make_frame_for(family, seg.buffer_len());
        seg.emit(wire::MutableBytes(frame).subspan(payload_offset_for(family)), tuple.local.address,
                 tuple.remote.address, checksum_on(*route->iface));
        if (route->local) {
            loopback.push_back({std::move(frame), *route, tuple.remote.address, seg.buffer_len()});
            return;
        }
        (void)stack.ip_output(*route, tuple.remote.address, wire::IpProtocol::tcp, seg.buffer_len(),
                              std::move(frame), now, true);
    }

    // RFC 9293 3.10.7.1: the answer to a segment no connection wants.
    void send_reset_for(const FourTuple& tuple, const TcpRepr& seg, Instant now) {
        if (seg.has(flag::rst)) return;
        TcpRepr rst{.src_port = tuple.local.port, .dst_port = tuple.remote.port};
        if (seg.has(flag::ack)) {
            rst.seq = seg.ack;
            rst.flags = flag::rst;
        } else {
            rst.ack = seg.seq + seg.seq_len();
            rst.flags = flag::rst | flag::ack;
        }
        ++stack.stats.tcp.tx_resets;
        ++stack.stats.tcp.tx_segments;
        send(tuple, rst, now);
    }

    // The largest segment our route to `remote` carries (RFC 9293 3.7.1: the MTU less the
    // IP and TCP headers, 40 bytes for IPv4 and 60 for IPv6; RFC 8200 5: 1220 at least).
    std::uint16_t mss_towards(const IpAddress& remote, const IpAddress& local) {
        const std::size_t headers = remote.is_v4() ? 40 : 60;
        auto route = stack.route_to(remote, local);
        if (!route) return remote.is_v4() ? 536 : 1220;
        const std::size_t mtu = remote.is_v4() ? route->iface->mtu : route->iface->mtu6();
        return static_cast<std::uint16_t>(std::min<std::size_t>(mtu, 0xffff) - headers);
    }

    void touch(Connection& c) {
        table.schedule(c);
        if (c.state() == TcpState::closed) table.mark(c);
    }

    // The end of every entry point: segments to ourselves delivered, dead connections freed.
    // Delivering a looped segment runs tcp_input, whose own finish() returns at once: the
    // outermost call drains, so the recursion is one level deep however long the exchange.
    void finish(Instant now) {
        last_now = now;
        if (draining) return;
        draining = true;
        for (std::size_t round = 0;
             round < max_loopback_rounds && !(loopback.empty() && stack.bypassed.empty());
             ++round) {
            if (!stack.bypassed.empty()) {
                Impl::Bypassed b = std::move(stack.bypassed.front());
                stack.bypassed.pop_front();
                if (link::Interface* iface = stack.find(b.iface))
                    stack.ethernet_input(*iface, b.frame, now);
                continue;
            }
            Looped l = std::move(loopback.front());
            loopback.pop_front();
            (void)stack.ip_output(l.route, l.dst, wire::IpProtocol::tcp, l.payload_len,
                                  std::move(l.frame), now, true);
        }
        draining = false;
        table.reap();
    }

    std::optional<std::uint16_t> ephemeral_port(Endpoint local, Endpoint remote, Instant now) {
        const std::uint32_t range = ephemeral_last - ephemeral_first + 1;
        // To our own addresses, a 4-tuple in TIME-WAIT may be taken over (time_wait_reusable):
        // else a client that connects to a server of this stack again and again runs out of
        // ports after one range per 2 MSL (about 470 connections a second).
        const bool local_peer =
            remote.address.is_loopback() || stack.is_local_address(remote.address);
        // A port this shard owns (tcp_flow_hash), free or whose 4-tuple may be taken over.
        auto usable = [&](const Endpoint& candidate) {
            if (!stack.owns(tcp_flow_hash(candidate, remote))) return false;
            if (table.bind_conflicts(candidate, false, nullptr)) return false;
            Connection* holder = table.find({candidate, remote});
            return holder == nullptr || (local_peer && holder->time_wait_reusable(now));
        };
        auto take = [&](std::uint16_t port) {
            if (Connection* holder = table.find({{local.address, port}, remote})) {
                ++stack.stats.tcp.time_wait_reused;
                holder->abort(now);  // silent in TIME-WAIT
                touch(*holder);
            }
            return port;
        };
        // To our own addresses the other end is ours too, on the shard its own 4-tuple hashes
        // to: a port that puts it on this shard as well spares every segment of the
        // connection a hop between shards (a wake-up of the other worker). One that puts only
        // our end here if none is free.
        std::optional<std::uint16_t> ours_only;
        for (std::uint32_t i = 0; i < range; ++i) {
            const auto port = static_cast<std::uint16_t>(ephemeral_first + (next_port++ % range));
            const Endpoint candidate{local.address, port};
            if (!usable(candidate)) continue;
            if (!local_peer || stack.owns(tcp_flow_hash(remote, candidate))) return take(port);
            if (!ours_only) ours_only = port;
        }
        if (ours_only) return take(*ours_only);
        return std::nullopt;
    }

    std::optional<std::uint16_t> free_port(const Binding& binding) {
        const std::uint32_t range = ephemeral_last - ephemeral_first + 1;
        for (std::uint32_t i = 0; i < range; ++i) {
            const auto port = static_cast<std::uint16_t>(ephemeral_first + (next_port++ % range));
            if (!table.bind_conflicts({binding.address, port}, binding.v6_only, nullptr))
                return port;
        }
        return std::nullopt;
    }

    // RFC 4987 3.6: a SYN-ACK that keeps no state, its ISN a cookie (syn_cookie.hpp). Our
    // window is the initial buffer, unscaled. When the SYN has timestamps, window scaling
    // and SACK-permitted are answered as they were offered, the peer's choices kept in our
    // TSval; without, no options but the MSS.
    void send_cookie(const Connection& listener, const FourTuple& tuple, const TcpRepr& syn,
                     Instant now) {
        const TcpConfig& tcp_config = stack.config.tcp;
        const std::uint16_t our_mss = mss_towards(tuple.remote.address, tuple.local.address);
        const std::uint16_t peer_mss = syn.mss.value_or(536);
        TcpRepr synack{.src_port = tuple.local.port,
                       .dst_port = tuple.remote.port,
                       .seq = cookies.make(tuple, syn.seq, std::min(our_mss, peer_mss), now),
                       .ack = syn.seq + 1,
                       .flags = flag::syn | flag::ack,
                       .window = static_cast<std::uint16_t>(
                           std::min<std::size_t>(stack.config.tcp.receive_buffer, 0xffff)),
                       .mss = our_mss};
        if (tcp_config.timestamps && syn.timestamps) {
            tcp::CookieOptions kept;
            if (tcp_config.window_scaling && syn.window_scale) {
                kept.window_scale = syn.window_scale;
                synack.window_scale = Connection::receive_scale(tcp_config, listener.options());
            }
            kept.sack_permitted = tcp_config.sack && syn.sack_permitted;
            synack.sack_permitted = kept.sack_permitted;
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
            const std::uint32_t ts_now = static_cast<std::uint32_t>(ms.count()) +
                                         isn.timestamp_offset(tuple.local, tuple.remote);
            synack.timestamps =
                wire::TcpTimestamps{tcp::cookie_timestamp(ts_now, kept), syn.timestamps->value};
        }
        ++stack.stats.tcp.cookies_sent;
        ++stack.stats.tcp.tx_segments;
        send(tuple, synack, now);
    }

    // The ACK for a listener with no connection: a valid cookie makes the connection (and
    // its data, if any, is processed); false when it is not one.
    bool accept_cookie(Connection& listener, const FourTuple& tuple, const TcpRepr& ack,
                       Instant now) {
        const auto mss = cookies.check(tuple, ack.seq - 1, ack.ack - 1, now);
        if (!mss) {
            ++stack.stats.tcp.cookies_failed;
            return false;
        }
        if (listener.accept_queue.size() >= listener.backlog) {
            ++stack.stats.tcp.drop_accept_queue_full;
            return true;  // dropped, as a SYN-RECEIVED child's ACK would be
        }
        if (live_connections() >= stack.config.tcp.max_connections) {
            ++stack.stats.tcp.drop_connection_limit;
            return true;
        }
        // What our TSval kept (syn_cookie.hpp), when the ACK echoes one; options the
        // config does not allow were never offered: a forgery.
        tcp::CookieOptions kept;
        if (stack.config.tcp.timestamps && ack.timestamps) {
            kept = tcp::cookie_timestamp_options(ack.timestamps->echo);
            if ((kept.window_scale && !stack.config.tcp.window_scaling) ||
                (kept.sack_permitted && !stack.config.tcp.sack)) {
                ++stack.stats.tcp.cookies_failed;
                return false;
            }
        }
        ++stack.stats.tcp.cookies_validated;
        Connection& child = table.create(*this, listener.options());
        child.accept_cookie(&listener, tuple, ack, *mss, kept.window_scale, kept.sack_permitted,
                            isn.timestamp_offset(tuple.local, tuple.remote),
                            mss_towards(tuple.remote.address, tuple.local.address), now);
        table.index(child);
        ++listener.half_open;  // child_established counts it out again
        child_established(listener, child);
        if (!ack.payload.empty() || ack.has(flag::fin)) child.input(ack, now);
        touch(child);
        return true;
    }

    // A listener going away takes its not-yet-accepted children with it (RST to those that
    // completed the handshake, as Linux).
    void close_listener(Connection& l, Instant now) {
        table.remove_listener(l);
        std::vector<Connection*> children;
        table.for_each([&](Connection& c) {
            if (c.listener == &l) children.push_back(&c);
        });
        for (Connection* child : children) {
            child->listener = nullptr;
            child->abort(now);
            touch(*child);
        }
        l.accept_queue.clear();
        l.half_open = 0;
    }

    struct Looped {
        Frame frame;
        OutRoute route;
        IpAddress dst;
        std::size_t payload_len = 0;
    };

    Impl& stack;
    tcp::ConnectionTable table;
    tcp::IsnGenerator isn;
    tcp::SynCookies cookies{isn.key()};
    ip::TokenBucket challenges;
    std::uint32_t next_port;
    Instant last_now{};  // for the one call without a time (tcp_set_options)
    std::deque<Looped> loopback;
    bool draining = false;
    std::vector<Connection*> due;
};

void Stack::Impl::TcpLayerDeleter::operator()(TcpLayer* layer) const {
    delete layer;
}

Stack::Impl::TcpLayer& Stack::Impl::tcp_layer() {
    if (!tcp) tcp.reset(new TcpLayer(*this));
    return *tcp;
}

// --- input -----------------------------------------------------------------------------------

namespace {

void count_parse_error(TcpStats& stats, wire::TcpError error) {
    switch (error) {
        case wire::TcpError::short_header:
            ++stats.drop_short;
            break;
        case wire::TcpError::bad_offset:
            ++stats.drop_bad_offset;
            break;
        case wire::TcpError::bad_option:
            ++stats.drop_bad_option;
            break;
        case wire::TcpError::bad_checksum:
            ++stats.drop_bad_checksum;
            break;
    }
}

}  // namespace

void Stack::Impl::tcp_input(link::Interface& iface, const InboundPacket& in, Instant now) {
    Impl::TcpLayer& layer = tcp_layer();
    TcpStats& tcp_stats = stats.tcp;
    const wire::Bytes segment = in.payload;
    // Ownership before anything else: the shard the 4-tuple hashes to answers, the others
    // stay silent (stack.hpp). Too short to name ports: shard 0 counts it.
    if (segment.size() < 4) {
        if (is_shard_zero()) ++tcp_stats.drop_short;
        return;
    }
    const FourTuple tuple{{in.dst, wire::load16(segment, 2)}, {in.src, wire::load16(segment, 0)}};
    if (!owns(tcp_flow_hash(tuple.local, tuple.remote))) {
        ++tcp_stats.drop_not_owner;
        return;
    }
    // RFC 9293 3.10.7.1 / RFC 1122 4.2.3.10: nothing to or from a broadcast or multicast.
    if (in.to_broadcast || in.dst.is_multicast() || in.src.is_any() || in.src.is_multicast() ||
        (in.src.is_v4() && in.src.v4().is_broadcast())) {
        ++tcp_stats.drop_bad_address;
        return;
    }
    auto parsed = TcpRepr::parse(segment, in.src, in.dst, checksum_on(iface));
    if (!parsed) return count_parse_error(tcp_stats, parsed.error());
    const TcpRepr& seg = *parsed;
    ++tcp_stats.rx_segments;

    if (Connection* c = layer.table.find(tuple)) {
        const bool new_syn = seg.has(flag::syn) && !seg.has(flag::ack) && !seg.has(flag::rst);
        if (c->half_open_misses(seg) && config.tcp.syn_cookies &&
            layer.cookies.check(tuple, seg.seq - 1, seg.ack - 1, now)) {
            // The SYN queue was full when the peer's SYN came (a cookie went out) and not when
            // its retransmission did (this half-open connection): the peer took the cookie,
            // which the listener below turns into the connection. No RST for either.
            ++tcp_stats.cookies_over_half_open;
            c->forget_half_open();
            layer.touch(*c);
        } else if (!(new_syn && c->time_wait_accepts(seg))) {
            c->input(seg, now);
            layer.touch(*c);
            return layer.finish(now);
        } else {
            // RFC 6191: the new incarnation takes the 4-tuple from TIME-WAIT.
            ++tcp_stats.time_wait_reused;
            c->abort(now);
            layer.touch(*c);
        }
    }
    Connection* listener = layer.table.find_listener(tuple.local);
    if (!listener) {
        ++tcp_stats.drop_no_listener;
        layer.send_reset_for(tuple, seg, now);
        return layer.finish(now);
    }
    if (seg.has(flag::rst)) return;
    if (seg.has(flag::ack) || !seg.has(flag::syn)) {
        if (!seg.has(flag::ack)) return;
        // The ACK of a stateless SYN-ACK rebuilds its connection; any other ACK for no
        // connection (a forgotten or never-made handshake) gets a RST.
        if (config.tcp.syn_cookies && !seg.has(flag::syn) &&
            layer.accept_cookie(*listener, tuple, seg, now))
            return layer.finish(now);
        ++tcp_stats.drop_no_listener;
        layer.send_reset_for(tuple, seg, now);
        return layer.finish(now);
    }
    if (layer.live_connections() >= config.tcp.max_connections) {
        ++tcp_stats.drop_connection_limit;
        return;
    }
    if (listener->half_open >= config.tcp.syn_queue) {
        if (!config.tcp.syn_cookies) {
            ++tcp_stats.drop_syn_queue_full;
            return;
        }
        layer.send_cookie(*listener, tuple, seg, now);
        return layer.finish(now);
    }
    Connection& child = layer.table.create(layer, listener->options());
    child.accept_syn(listener, tuple, seg, layer.isn.isn(tuple.local, tuple.remote, now),
                     layer.isn.timestamp_offset(tuple.local, tuple.remote),
                     layer.mss_towards(tuple.remote.address, tuple.local.address), now);
    ++listener->half_open;
    layer.table.index(child);
    layer.touch(child);
    layer.finish(now);
}

void Stack::Impl::tcp_icmp_error(const IpAddress& src, const IpAddress& dst, wire::Bytes data,
                                 const TcpIcmpNews& news, Instant now) {
    const FourTuple tuple{{src, wire::load16(data, 0)}, {dst, wire::load16(data, 2)}};
    if (!owns(tcp_flow_hash(tuple.local, tuple.remote))) {
        ++(src.is_v4() ? stats.ipv4.drop_not_owner : stats.ipv6.drop_not_owner);
        return;
    }
    Connection* c = tcp ? tcp->table.find(tuple) : nullptr;
    if (!c || !c->sent_sequence(wire::load32(data, 4))) {
        if (src.is_v4()) ++stats.icmp.drop_no_socket;
        return;
    }
    if (news.mtu)
        c->icmp_fragmentation_needed(*news.mtu, now);
    else
        c->icmp_unreachable(news.error, news.hard, now);
    tcp->touch(*c);
    tcp->finish(now);
}

void Stack::Impl::tcp_poll(Instant now) {
    if (!tcp) return;
    Impl::TcpLayer& layer = *tcp;
    layer.table.due(now, layer.due);
    for (Connection* c : layer.due) {
        c->on_timer(now);
        layer.touch(*c);
    }
    layer.finish(now);
}

void Stack::Impl::tcp_send_held_acks(Instant now) {
    if (!tcp || tcp->held_acks.empty()) return;
    Impl::TcpLayer& layer = *tcp;
    for (const std::uint64_t serial : layer.held_acks) {
        Connection* c = layer.table.find_serial(serial);
        if (c == nullptr) continue;  // freed since
        c->send_held_ack(now);
        layer.touch(*c);
    }
    layer.held_acks.clear();
    layer.finish(now);
}

std::optional<Instant> Stack::Impl::tcp_poll_at() const {
    if (!tcp) return std::nullopt;
    // Segments to ourselves left over when finish() hit its bound: due at once (poll()
    // delivers them), rather than at the next timer.
    if (!tcp->loopback.empty() || !bypassed.empty()) return tcp->last_now;
    return tcp->table.next_deadline();
}

bool Stack::Impl::is_tcp_socket(SocketId id) const {
    return tcp && tcp->table.find_socket(id);
}

// --- the public TCP socket API ---------------------------------------------------------------

std::expected<SocketId, SocketError> Stack::tcp_open() {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    if (layer.table.size() + s.udp.size() + s.ping.size() >= max_sockets)
        return std::unexpected(SocketError::too_many_sockets);
    const SocketId id = s.allocate_socket_id();
    TcpSocketOptions options;
    options.congestion = s.config.tcp.congestion;
    layer.table.attach_socket(id, layer.table.create(layer, options));
    return id;
}

std::expected<Endpoint, SocketError> Stack::tcp_bind(SocketId id, Endpoint local) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (c->bound || c->state() != TcpState::closed) return std::unexpected(SocketError::invalid);
    if (!local.address.is_any() && !s.is_local_address(local.address))
        return std::unexpected(SocketError::address_not_available);
    const bool v6_only = c->options().v6_only;
    if (v6_only && local.address.is_v4()) return std::unexpected(SocketError::invalid);
    if (local.port == 0) {
        auto port = layer.free_port({local.address, v6_only});
        if (!port) return std::unexpected(SocketError::no_ports);
        local.port = *port;
    } else if (layer.table.bind_conflicts(local, v6_only, c)) {
        return std::unexpected(SocketError::address_in_use);
    }
    c->bound = local;
    return local;
}

std::expected<void, SocketError> Stack::tcp_listen(SocketId id, std::size_t backlog) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (c->state() == TcpState::listen) {
        c->backlog = backlog;
        return {};
    }
    if (c->state() != TcpState::closed || c->has_error())
        return std::unexpected(SocketError::already_connected);
    if (!c->bound) {  // the wildcard: ::, for a v6-only socket
        auto bound =
            tcp_bind(id, {IpAddress::any(c->options().v6_only ? IpFamily::v6 : IpFamily::v4), 0});
        if (!bound) return std::unexpected(bound.error());
    }
    c->listen(backlog);
    layer.table.add_listener(*c);
    return {};
}

std::expected<SocketId, SocketError> Stack::tcp_accept(SocketId listener) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* l = layer.table.find_socket(listener);
    if (!l) return std::unexpected(SocketError::bad_socket);
    if (l->state() != TcpState::listen) return std::unexpected(SocketError::not_listening);
    if (l->accept_queue.empty()) return std::unexpected(SocketError::would_block);
    Connection* child = l->accept_queue.front();
    l->accept_queue.pop_front();
    child->listener = nullptr;
    const SocketId id = s.allocate_socket_id();
    layer.table.attach_socket(id, *child);
    // What happened before accept is reported now.
    std::uint8_t bits = 0;
    if (child->readable() > 0 || child->readable_eof()) bits |= socket_readable;
    if (child->state() == TcpState::closed) bits |= socket_closed;
    if (bits) s.raise(id, bits);
    return id;
}

std::expected<void, SocketError> Stack::tcp_connect(SocketId id, Endpoint remote, Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    switch (c->state()) {
        case TcpState::closed:
            break;
        case TcpState::syn_sent:
        case TcpState::syn_received:
            return std::unexpected(SocketError::in_progress);
        case TcpState::listen:
            return std::unexpected(SocketError::invalid);
        default:
            return std::unexpected(SocketError::already_connected);
    }
    if (c->tuple().remote.port != 0) return std::unexpected(SocketError::already_connected);
    if (remote.port == 0 || remote.address.is_any() ||
        (remote.address.is_v4() && remote.address.v4().is_broadcast()) ||
        remote.address.is_multicast())
        return std::unexpected(SocketError::invalid);
    if (c->options().v6_only && remote.address.is_v4())
        return std::unexpected(SocketError::no_route);
    const Endpoint bound = c->bound.value_or(Endpoint{});
    auto route = s.route_to(remote.address, bound.address);
    if (!route) return std::unexpected(route.error());
    Endpoint local{bound.address.is_any() ? route->src : bound.address, bound.port};
    if (local.port == 0) {
        auto port = layer.ephemeral_port(local, remote, now);
        if (!port) return std::unexpected(SocketError::no_ports);
        local.port = *port;
    } else if (!layer.table.tuple_free({local, remote})) {
        return std::unexpected(SocketError::address_in_use);
    }
    if (layer.live_connections() > s.config.tcp.max_connections) {
        ++s.stats.tcp.drop_connection_limit;
        return std::unexpected(SocketError::too_many_sockets);
    }
    c->bound = local;
    const FourTuple tuple{local, remote};
    c->connect(tuple, layer.isn.isn(local, remote, now), layer.isn.timestamp_offset(local, remote),
               layer.mss_towards(remote.address, local.address), now);
    layer.table.index(*c);
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<std::size_t, SocketError> Stack::tcp_send(SocketId id,
                                                        std::span<const std::byte> data,
                                                        Instant now) {
    return tcp_send_marked(id, data, now, false);
}

std::expected<std::size_t, SocketError> Stack::tcp_send_urgent(SocketId id,
                                                               std::span<const std::byte> data,
                                                               Instant now) {
    return tcp_send_marked(id, data, now, true);
}

namespace {

// Why tcp_send cannot queue data on `c` now, if it cannot.
std::optional<SocketError> send_refused(Connection& c) {
    if (auto error = c.take_error()) return error;
    if (c.state() == TcpState::closed && c.tuple().remote.port == 0)
        return SocketError::not_connected;
    if (c.state() == TcpState::listen) return SocketError::not_connected;
    if (!c.can_send()) return SocketError::shut_down;
    return std::nullopt;
}

// What tcp_receive says when no byte is there: 0 at the end of stream, else why not.
std::expected<std::size_t, SocketError> nothing_received(Connection& c) {
    if (c.readable_eof()) return 0;
    if (auto error = c.take_error()) return std::unexpected(*error);
    switch (c.state()) {
        case TcpState::listen:
            return std::unexpected(SocketError::not_connected);
        case TcpState::closed:
            if (c.tuple().remote.port == 0) return std::unexpected(SocketError::not_connected);
            return 0;
        default:
            return std::unexpected(SocketError::would_block);
    }
}

}  // namespace

std::expected<std::size_t, SocketError> Stack::tcp_send_marked(SocketId id,
                                                               std::span<const std::byte> data,
                                                               Instant now, bool urgent) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (auto refused = send_refused(*c)) return std::unexpected(*refused);
    if (data.empty()) return 0;
    const std::size_t n = c->send(data, now, urgent);
    if (urgent && n > 0) ++s.stats.tcp.urgent_sent;
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    if (n == 0) return std::unexpected(SocketError::would_block);
    return n;
}

std::expected<std::span<std::byte>, SocketError> Stack::tcp_send_space(SocketId id,
                                                                       std::size_t max) {
    Connection* c = impl_->tcp_layer().table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (auto refused = send_refused(*c)) return std::unexpected(*refused);
    const auto room = c->send_space(max);
    if (room.empty() && max > 0) return std::unexpected(SocketError::would_block);
    return room;
}

std::expected<void, SocketError> Stack::tcp_send_commit(SocketId id, std::size_t n, Instant now,
                                                        bool urgent) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    c->send_commit(n, now, urgent);
    if (urgent && n > 0) ++s.stats.tcp.urgent_sent;
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<std::size_t, SocketError> Stack::tcp_receive(SocketId id, std::span<std::byte> buffer,
                                                           Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    const std::size_t n = c->receive(buffer, now);
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    if (n > 0 || buffer.empty()) return n;
    return nothing_received(*c);
}

std::expected<std::span<const std::byte>, SocketError> Stack::tcp_receive_view(SocketId id) {
    Connection* c = impl_->tcp_layer().table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    const auto held = c->receive_view();
    if (!held.empty()) return held;
    if (auto end = nothing_received(*c); !end) return std::unexpected(end.error());
    return held;
}

std::expected<void, SocketError> Stack::tcp_receive_commit(SocketId id, std::size_t n,
                                                           Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    c->receive_commit(n, now);
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<TcpUrgent, SocketError> Stack::tcp_urgent(SocketId id) const {
    const Connection* c = impl_->tcp ? impl_->tcp->table.find_socket(id) : nullptr;
    if (!c) return std::unexpected(SocketError::bad_socket);
    return c->urgent();
}

std::expected<std::byte, SocketError> Stack::tcp_receive_urgent(SocketId id) {
    Connection* c = impl_->tcp_layer().table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    return c->receive_urgent();
}

std::expected<void, SocketError> Stack::tcp_shutdown(SocketId id, ShutdownHow how, Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (c->state() == TcpState::closed || c->state() == TcpState::listen)
        return std::unexpected(SocketError::not_connected);
    if (how != ShutdownHow::write) c->shutdown_read();
    if (how != ShutdownHow::read) c->shutdown_write(now);
    layer.touch(*c);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<void, SocketError> Stack::tcp_close(SocketId id, Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (c->state() == TcpState::listen) {
        layer.close_listener(*c, now);
        c->abort(now);
    } else {
        c->orphan(now);
    }
    layer.table.detach_socket(id);
    layer.touch(*c);
    s.events.forget(id);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<void, SocketError> Stack::tcp_abort(SocketId id, Instant now) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (c->state() == TcpState::listen) layer.close_listener(*c, now);
    c->abort(now);
    layer.table.detach_socket(id);
    layer.touch(*c);
    s.events.forget(id);
    layer.finish(now);
    s.flush_devices();
    return {};
}

std::expected<void, SocketError> Stack::tcp_set_options(SocketId id,
                                                        const TcpSocketOptions& options) {
    Impl& s = *impl_;
    Impl::TcpLayer& layer = s.tcp_layer();
    Connection* c = layer.table.find_socket(id);
    if (!c) return std::unexpected(SocketError::bad_socket);
    if (options.v6_only != c->options().v6_only && (c->bound || c->state() != TcpState::closed))
        return std::unexpected(SocketError::invalid);  // as Linux: fixed once it has a port
    // Options take effect from the next call that has a time; keepalive needs `now`, and
    // the connection's last activity is as good a start as any.
    c->set_options(options, layer.last_now);
    layer.touch(*c);
    return {};
}

std::expected<TcpSocketOptions, SocketError> Stack::tcp_options(SocketId id) const {
    const Connection* c = impl_->tcp ? impl_->tcp->table.find_socket(id) : nullptr;
    if (!c) return std::unexpected(SocketError::bad_socket);
    return c->options();
}

std::expected<TcpInfo, SocketError> Stack::tcp_info(SocketId id) const {
    const Connection* c = impl_->tcp ? impl_->tcp->table.find_socket(id) : nullptr;
    if (!c) return std::unexpected(SocketError::bad_socket);
    TcpInfo info = c->info();
    if (c->state() == TcpState::listen || c->state() == TcpState::closed)
        info.local = c->bound.value_or(Endpoint{});
    return info;
}

std::vector<TcpInfo> Stack::tcp_connections() const {
    std::vector<TcpInfo> out;
    if (!impl_->tcp) return out;
    impl_->tcp->table.for_each([&](const Connection& c) {
        TcpInfo info = c.info();
        if (c.state() == TcpState::listen || c.state() == TcpState::closed)
            info.local = c.bound.value_or(Endpoint{});
        out.push_back(info);
    });
    return out;
}

std::optional<SocketError> Stack::tcp_take_error(SocketId id) {
    Connection* c = impl_->tcp ? impl_->tcp->table.find_socket(id) : nullptr;
    if (!c) return std::nullopt;
    return c->take_error();
}

}  // namespace netstack
