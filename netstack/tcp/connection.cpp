// A connection's life: opening (active and passive), the user's calls, closing, ICMP
// errors, and the TCP_INFO snapshot. Segment input is connection_input.cpp, output
// connection_output.cpp, timers connection_timers.cpp.
#include <algorithm>
#include <cstring>
#include <utility>

#include "tcp/connection.hpp"
#include "tcp/seq.hpp"

namespace netstack::tcp {

namespace flag = wire::tcp_flag;

namespace {

std::size_t or_default(std::size_t value, std::size_t fallback) {
    return value != 0 ? value : fallback;
}

// RFC 7323 2.3: the smallest shift that lets the 16-bit field say `buffer`, at most 14.
std::uint8_t scale_for(std::size_t buffer) {
    std::uint8_t shift = 0;
    while (shift < 14 && (buffer >> shift) > 0xffff)
        ++shift;
    return shift;
}

}  // namespace

Connection::Connection(ConnectionHost& host, const TcpSocketOptions& options)
    : host_(host),
      options_(options),
      send_(or_default(options.send_buffer, host.tcp_config().send_buffer)),
      receive_(or_default(options.receive_buffer, host.tcp_config().receive_buffer),
               host.tcp_config().max_out_of_order),
      rtt_(host.tcp_config().rto_initial, host.tcp_config().rto_min, host.tcp_config().rto_max) {}

void Connection::listen(std::size_t queue) {
    backlog = queue;
    state_ = TcpState::listen;
}

void Connection::connect(FourTuple tuple, std::uint32_t iss, std::uint32_t ts_offset,
                         std::uint16_t mss, Instant now) {
    const TcpConfig& config = host_.tcp_config();
    tuple_ = tuple;
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
    send_base_ = iss + 1;
    ts_offset_ = ts_offset;
    local_mss_ = mss;
    if (config.window_scaling)
        rcv_wscale_ = scale_for(or_default(options_.receive_buffer, config.max_receive_buffer));
    state_ = TcpState::syn_sent;
    grow_epoch_ = now;
    ++host_.tcp_stats().active_opens;
    send_syn(now);
}

void Connection::accept_syn(Connection* parent, FourTuple tuple, const wire::TcpRepr& syn,
                            std::uint32_t iss, std::uint32_t ts_offset, std::uint16_t mss,
                            Instant now) {
    listener = parent;
    passive_ = true;
    tuple_ = tuple;
    iss_ = snd_una_ = snd_nxt_ = snd_max_ = recover_ = iss;
    send_base_ = iss + 1;
    ts_offset_ = ts_offset;
    local_mss_ = mss;
    irs_ = syn.seq;
    rcv_nxt_ = rcv_adv_ = syn.seq + 1;
    take_options(syn);
    if (ts_ok_) {
        ts_recent_ = syn.timestamps->value;
        ts_recent_time_ = now;
    }
    if (wscale_ok_)
        rcv_wscale_ =
            scale_for(or_default(options_.receive_buffer, host_.tcp_config().max_receive_buffer));
    snd_wnd_ = max_snd_wnd_ = syn.window;  // RFC 7323 2.2: never scaled in a SYN
    snd_wl1_ = syn.seq;
    state_ = TcpState::syn_received;
    grow_epoch_ = now;
    ++host_.tcp_stats().passive_opens;
    send_syn(now);
}

std::uint8_t Connection::receive_scale(const TcpConfig& config, const TcpSocketOptions& options) {
    return scale_for(or_default(options.receive_buffer, config.max_receive_buffer));
}

void Connection::accept_cookie(Connection* parent, FourTuple tuple, const wire::TcpRepr& ack,
                               std::uint16_t peer_mss, std::optional<std::uint8_t> peer_scale,
                               bool sack, std::uint32_t ts_offset, std::uint16_t mss, Instant now) {
    const TcpConfig& config = host_.tcp_config();
    listener = parent;
    passive_ = true;
    tuple_ = tuple;
    iss_ = ack.ack - 1;
    snd_una_ = snd_nxt_ = snd_max_ = recover_ = send_base_ = ack.ack;
    ts_offset_ = ts_offset;
    local_mss_ = mss;
    peer_mss_ = peer_mss;
    irs_ = ack.seq - 1;
    rcv_nxt_ = ack.seq;
    // What the stateless SYN-ACK offered (stack_tcp.cpp): the initial buffer, unscaled.
    rcv_adv_ =
        rcv_nxt_ + static_cast<std::uint32_t>(std::min<std::size_t>(receive_.capacity(), 0xffff));
    // What the cookie's timestamp kept (syn_cookie.hpp): the SYN-ACK offered our scale
    // and SACK only when the SYN did, and only with timestamps.
    ts_ok_ = config.timestamps && ack.timestamps.has_value();
    if (ts_ok_) {
        ts_recent_ = ack.timestamps->value;
        ts_recent_time_ = now;
        wscale_ok_ = config.window_scaling && peer_scale.has_value();
        if (wscale_ok_) {
            snd_wscale_ = std::min<std::uint8_t>(*peer_scale, 14);
            rcv_wscale_ = receive_scale(config, options_);
        }
        sack_ok_ = config.sack && sack;
    }
    snd_wnd_ = max_snd_wnd_ = std::uint32_t{ack.window} << snd_wscale_;
    snd_wl1_ = ack.seq;
    snd_wl2_ = ack.ack;
    grow_epoch_ = now;
    ++host_.tcp_stats().passive_opens;
    established(now);
}

void Connection::take_options(const wire::TcpRepr& syn) {
    const TcpConfig& config = host_.tcp_config();
    peer_mss_ = syn.mss && *syn.mss >= 64 ? *syn.mss : 536;  // RFC 9293 3.7.1 default
    wscale_ok_ = config.window_scaling && syn.window_scale.has_value();
    snd_wscale_ = wscale_ok_ ? std::min<std::uint8_t>(*syn.window_scale, 14) : 0;
    if (!wscale_ok_) rcv_wscale_ = 0;
    ts_ok_ = config.timestamps && syn.timestamps.has_value();
    sack_ok_ = config.sack && syn.sack_permitted;
}

void Connection::established(Instant now) {
    state_ = TcpState::established;
    cc_ = make_congestion_controller(options_.congestion, std::min(peer_mss_, local_mss_));
    retries_ = 0;
    rtt_.reset_backoff();
    rto_at_.reset();
    arm_keepalive(now);
    if (fin_queued_) state_ = TcpState::fin_wait_1;  // shut down during the handshake
    if (passive_) return;                            // the table queues it for accept
    raise(socket_connected | socket_writable);
}

// --- the user's calls ------------------------------------------------------------------------

bool Connection::can_send() const {
    if (fin_queued_) return false;
    switch (state_) {
        case TcpState::syn_sent:
        case TcpState::syn_received:
        case TcpState::established:
        case TcpState::close_wait:
            return true;
        default:
            return false;
    }
}

void Connection::expand_send_buffer() {
    // Send-buffer autotuning, as Linux's tcp_sndbuf_expand: unless the application set
    // SO_SNDBUF, tcp_send takes twice the largest of cwnd and a ten-segment initial
    // window seen so far, up to the buffer's size. It only grows, as Linux's: after a loss
    // the data held behind a hole must not stop new data, whose SACKs find the next loss.
    // A sender then holds what the path can take in a few round trips rather than the whole
    // buffer from its first write: 200 fresh connections filling 256 KiB each cost the daemon
    // a page fault per 4 KiB before it read their first ACKs.
    const std::size_t initial = std::size_t{10} * send_mss();
    const std::size_t window = cc_ ? std::max<std::size_t>(cc_->cwnd, initial) : initial;
    send_autotuned_ = std::max(send_autotuned_, 2 * window);
}

std::size_t Connection::send_limit() const {
    if (options_.send_buffer != 0) return send_.capacity();
    const std::size_t floor = 2 * std::size_t{10} * send_mss();
    return std::min(send_.capacity(), std::max(send_autotuned_, floor));
}

std::size_t Connection::send_free() const {
    const std::size_t limit = send_limit();
    return limit > send_.size() ? limit - send_.size() : 0;
}

std::size_t Connection::send(std::span<const std::byte> data, Instant now, bool urgent) {
    if (!can_send()) return 0;
    const auto room = send_space(data.size());
    if (room.size() < data.size()) send_blocked_ = true;
    if (!room.empty()) std::memcpy(room.data(), data.data(), room.size());
    send_commit(room.size(), now, urgent);
    return room.size();
}

std::span<std::byte> Connection::send_space(std::size_t max) {
    if (!can_send()) return {};
    expand_send_buffer();
    const auto room = send_.reserve(std::min(max, send_free()));
    if (room.empty() && max > 0) send_blocked_ = true;
    return room;
}

void Connection::send_commit(std::size_t n, Instant now, bool urgent) {
    send_.commit(n);
    if (urgent && n > 0) urgent_out_.mark(send_base_ + static_cast<std::uint32_t>(send_.size()));
    output(now);
}

std::size_t Connection::receive(std::span<std::byte> out, Instant now) {
    const auto held = receive_view();
    const std::size_t n = std::min(held.size(), out.size());
    std::copy_n(held.begin(), n, out.begin());
    receive_commit(n, now);
    return n;
}

std::span<const std::byte> Connection::receive_view() {
    if (urgent_in_.mark() == read_seq() && readable() < receive_.readable())
        receive_.drop(1);  // the reader is at a withheld out-of-band byte: skip it
    return receive_.front(urgent_in_.before_mark(read_seq(), receive_.readable()));
}

void Connection::receive_commit(std::size_t n, Instant now) {
    receive_.drop(n);
    if (fin_received_) receive_.release_if_empty();  // the last byte that will come was read
    urgent_in_.read_to(read_seq());
    if (n == 0) return;
    read_in_epoch_ += n;
    // Receive-window growth: when the reader took more than half the buffer within one
    // RTT, the window, not the reader, limited the sender: double it (up to the maximum).
    const Duration period = std::max<Duration>(rtt_.srtt(), std::chrono::milliseconds(1));
    if (now - grow_epoch_ >= period) {
        const std::size_t max =
            or_default(options_.receive_buffer, host_.tcp_config().max_receive_buffer);
        if (read_in_epoch_ * 2 > receive_.capacity() && receive_.capacity() < max)
            receive_.set_capacity(std::min(receive_.capacity() * 2, max));
        grow_epoch_ = now;
        read_in_epoch_ = 0;
    }
    // A window update when the window grew by a full segment or half the buffer (RFC 9293
    // 3.8.6.2.2), and an ACK once a short segment is read (short_unacked_).
    if (state_ == TcpState::established || state_ == TcpState::fin_wait_1 ||
        state_ == TcpState::fin_wait_2) {
        const std::uint32_t offered = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
        const std::size_t step = std::min<std::size_t>(receive_.capacity() / 2, full_segment());
        if (receive_.free() >= offered + step ||
            (short_unacked_ && !interactive_ && receive_.readable() == 0))
            send_ack(now);
    }
}

std::size_t Connection::readable() const {
    return receive_.readable() -
           urgent_in_.withheld(read_seq(), data_end_received(), options_.oob_inline);
}

TcpUrgent Connection::urgent() const {
    return urgent_in_.state(read_seq(), data_end_received(), options_.oob_inline);
}

std::expected<std::byte, SocketError> Connection::receive_urgent() {
    const TcpUrgent urgent = this->urgent();
    // Linux's EINVAL: no urgent data, read already, or read inline.
    if (options_.oob_inline || urgent.remaining == 0 || urgent_in_.taken())
        return std::unexpected(SocketError::invalid);
    if (!urgent.byte_ready) return std::unexpected(SocketError::would_block);  // not arrived
    urgent_in_.take();
    return receive_.at(urgent.remaining - 1);
}

bool Connection::readable_eof() const {
    return fin_received_ && receive_.readable() == 0;
}

void Connection::shutdown_write(Instant now) {
    switch (state_) {
        case TcpState::syn_sent:
            close_with(std::nullopt);
            return;
        case TcpState::syn_received:
            fin_queued_ = true;  // sent once established
            return;
        case TcpState::established:
            fin_queued_ = true;
            state_ = TcpState::fin_wait_1;
            break;
        case TcpState::close_wait:
            fin_queued_ = true;
            state_ = TcpState::last_ack;
            break;
        default:
            return;
    }
    output(now);
}

void Connection::shutdown_read() {
    read_shut_ = true;
    receive_.discard_all();
}

void Connection::abort(Instant now) {
    switch (state_) {
        case TcpState::syn_received:
        case TcpState::established:
        case TcpState::fin_wait_1:
        case TcpState::fin_wait_2:
        case TcpState::close_wait:
            // RFC 9293 3.10.4: <SEQ=SND.NXT><CTL=RST>
            ++host_.tcp_stats().tx_resets;
            send_segment(snd_max_, flag::rst, {}, now);
            break;
        default:
            break;
    }
    close_with(std::nullopt);
}

void Connection::orphan(Instant now) {
    socket = 0;
    orphaned_ = true;
    // RFC 2525 2.17: closing with unread data resets; so does SO_LINGER with zero timeout.
    if (receive_.readable() > 0 || options_.linger_zero) return abort(now);
    shutdown_write(now);
    if (state_ == TcpState::fin_wait_2) wait_at_ = now + host_.tcp_config().fin_wait_2_timeout;
}

void Connection::set_options(const TcpSocketOptions& options, Instant now) {
    const bool nagle_off = options.no_delay && !options_.no_delay;
    options_ = options;
    // TCP_CONGESTION on a connection already made: the new algorithm takes the window over
    // where the old one left it, as Linux's tcp_reinit_congestion_control keeps cwnd and
    // ssthresh.
    if (cc_ && cc_->algorithm() != options.congestion) {
        auto next = make_congestion_controller(options.congestion, cc_->mss);
        next->cwnd = cc_->cwnd;
        next->ssthresh = cc_->ssthresh;
        cc_ = std::move(next);
    }
    if (options.send_buffer != 0) send_.set_capacity(options.send_buffer);
    if (options.receive_buffer != 0) receive_.set_capacity(options.receive_buffer);
    if (state_ == TcpState::established || state_ == TcpState::close_wait) {
        arm_keepalive(now);
        if (nagle_off) output(now);  // TCP_NODELAY pushes what Nagle held
    }
}

std::optional<SocketError> Connection::take_error() {
    return std::exchange(error_, std::nullopt);
}

bool Connection::sent_sequence(std::uint32_t seq) const {
    return seq_le(snd_una_, seq) && seq_le(seq, snd_max_);
}

bool Connection::time_wait_accepts(const wire::TcpRepr& syn) const {
    if (state_ != TcpState::time_wait) return false;
    if (ts_ok_ && syn.timestamps) return seq_gt(syn.timestamps->value, ts_recent_);
    return seq_gt(syn.seq, rcv_nxt_);
}

// --- ICMP ------------------------------------------------------------------------------------

void Connection::icmp_unreachable(SocketError error, bool hard, Instant) {
    // RFC 1122 4.2.3.9 and RFC 5461: only a connection being opened dies of a hard error;
    // soft ones are remembered and reported if the connection times out.
    if (hard && (state_ == TcpState::syn_sent || (state_ == TcpState::syn_received && !passive_)))
        return close_with(error);
    soft_error_ = error;
}

void Connection::icmp_fragmentation_needed(std::size_t mtu, Instant now) {
    // IPv4 (RFC 1191): below 68 the report is bogus. IPv6 (RFC 8201 4): a link's MTU is never
    // below 1280, so a smaller report is taken as 1280.
    const bool v6 = tuple_.local.address.is_v6();
    if (v6) mtu = std::max<std::size_t>(mtu, 1280);
    if (!v6 && mtu < 68 + 20) return;
    const std::size_t headers = v6 ? 60 : 40;
    const auto mss = static_cast<std::uint16_t>(std::min<std::size_t>(mtu - headers, 0xffff));
    if (mss >= local_mss_) return;
    local_mss_ = mss;
    if (!cc_ || mss >= cc_->mss) return;
    cc_->mss = mss;
    // What was sent too big is lost: send it again in smaller segments now.
    snd_nxt_ = snd_una_;
    output(now);
}

// --- state -----------------------------------------------------------------------------------

void Connection::raise(std::uint8_t bits) {
    if (socket != 0) host_.raise(socket, bits);
}

void Connection::enter_time_wait(Instant now) {
    if (!host_.time_wait_begins()) {  // too many wait already: this one closes now
        close_with(std::nullopt);
        return;
    }
    state_ = TcpState::time_wait;
    // Thousands wait after a burst of short connections: each keeps its 4-tuple, not the
    // buffers of a connection that will carry no more data.
    send_.release_if_empty();
    receive_.release_if_empty();  // else once the reader has taken the rest
    rto_at_.reset();
    persist_at_.reset();
    keepalive_at_.reset();
    wait_at_ = now + host_.tcp_config().time_wait;
    raise(socket_closed);
}

void Connection::close_with(std::optional<SocketError> error) {
    if (state_ == TcpState::closed) return;
    if (state_ == TcpState::time_wait) host_.time_wait_ends();
    std::uint8_t bits = socket_closed;
    if (error) {
        error_ = error;
        bits |= socket_error;
    }
    state_ = TcpState::closed;
    rto_at_.reset();
    delack_at_.reset();
    persist_at_.reset();
    keepalive_at_.reset();
    wait_at_.reset();
    raise(bits);
    host_.closed(*this);
}

bool Connection::half_open_misses(const wire::TcpRepr& ack) const {
    using namespace wire::tcp_flag;
    if (state_ != TcpState::syn_received || !passive_) return false;
    if (!ack.has(wire::tcp_flag::ack) || ack.has(syn) || ack.has(rst)) return false;
    return !seq_lt(snd_una_, ack.ack) || seq_gt(ack.ack, snd_max_);
}

bool Connection::time_wait_reusable(Instant now) const {
    if (state_ != TcpState::time_wait || !ts_ok_ || !wait_at_) return false;
    const auto entered = *wait_at_ - host_.tcp_config().time_wait;
    return now - entered >= std::chrono::seconds(1);
}

void Connection::forget_half_open() {
    if (state_ == TcpState::syn_received && passive_) close_with(std::nullopt);
}

TcpInfo Connection::info() const {
    TcpInfo info = counters_;
    info.socket = socket;
    info.state = state_;
    info.local = tuple_.local;
    info.remote = tuple_.remote;
    info.mss = max_payload();
    info.peer_mss = peer_mss_;
    info.send_wscale = snd_wscale_;
    info.receive_wscale = rcv_wscale_;
    info.timestamps = ts_ok_;
    info.sack = sack_ok_;
    info.congestion = cc_ ? cc_->algorithm() : options_.congestion;
    info.cwnd = cc_ ? cc_->cwnd : 0;
    info.ssthresh = cc_ ? cc_->ssthresh : 0;
    info.srtt = rtt_.srtt();
    info.rttvar = rtt_.rttvar();
    info.rto = rtt_.rto();
    info.backoff = rtt_.backoff();
    info.bytes_in_flight = flight();
    info.send_queued = send_.size();
    info.receive_queued = receive_.readable();
    info.buffer_bytes = send_.allocated() + receive_.allocated();
    info.out_of_order_queued = receive_.out_of_order_segments();
    info.send_window = snd_wnd_;
    info.receive_window = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    info.accept_queue = accept_queue.size();
    info.syn_queue = half_open;
    info.backlog = backlog;
    return info;
}

}  // namespace netstack::tcp
