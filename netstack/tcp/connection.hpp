// One TCP connection (RFC 9293's TCB) and its state machine: the segment-arrival rules of
// 3.10.7 in every state (with RFC 5961's RST/SYN/ACK checks and RFC 7323's PAWS), the send
// side (Nagle, sender silly-window avoidance, window scaling, timestamps), retransmission
// (RFC 6298, Karn), fast retransmit and NewReno recovery (RFC 5681, RFC 6582) or, when the
// peer sends SACKs, RFC 6675's scoreboard-based recovery (sack_recovery.cpp), delayed ACKs,
// zero-window probes, keepalive, TIME-WAIT, urgent data (urgent.hpp). Pure logic: segments leave
// through the host, time comes in as `now`.
//
// Listeners are Connections too (state listen): they hold the accept queue and count their
// half-open children; creating children is the table's job (it sees the SYN first).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "netstack/stack.hpp"
#include "netstack/stats.hpp"
#include "netstack/tcp.hpp"
#include "tcp/congestion.hpp"
#include "tcp/receive_buffer.hpp"
#include "tcp/rtt_estimator.hpp"
#include "tcp/sack_scoreboard.hpp"
#include "tcp/send_buffer.hpp"
#include "tcp/urgent.hpp"
#include "wire/tcp.hpp"

namespace netstack::tcp {

struct FourTuple {
    Endpoint local{};
    Endpoint remote{};
    bool operator==(const FourTuple&) const = default;
};

class Connection;

// What a connection needs from the stack around it.
class ConnectionHost {
  public:
    virtual ~ConnectionHost() = default;
    virtual const TcpConfig& tcp_config() const = 0;
    virtual TcpStats& tcp_stats() = 0;
    // Sends a segment from the connection's local to its remote endpoint.
    virtual void transmit(const Connection& connection, const wire::TcpRepr& segment,
                          Instant now) = 0;
    virtual void raise(SocketId socket, std::uint8_t bits) = 0;
    // RFC 5961 7: one budget of challenge ACKs per stack.
    virtual bool take_challenge_ack(Instant now) = 0;
    // A child of `listener` reached ESTABLISHED and waits in the accept queue, or a
    // half-open child died.
    virtual void child_established(Connection& listener, Connection& child) = 0;
    // The connection reached CLOSED: it leaves the 4-tuple table.
    virtual void closed(Connection& connection) = 0;
    // The peer acknowledged new data: the path to it works, so its neighbour entry is
    // confirmed without an ARP probe (upper-layer reachability confirmation, as Linux's
    // dst_confirm; RFC 4861 7.3.1 says the same for IPv6).
    virtual void forward_progress(const Connection& connection, Instant now) = 0;
    // TIME-WAIT connections are counted apart (as Linux's tw buckets): they do not take a
    // place among config.max_connections, and beyond that many of them a connection closes
    // at once instead of waiting (false).
    virtual bool time_wait_begins() = 0;
    virtual void time_wait_ends() = 0;
    // While frames received together are handled (Stack::ReceiveBatch), the ACK that the
    // every-second-segment rule calls for waits for the batch's end, where the host calls
    // send_held_ack() once per connection: true when it took the connection for that. False
    // outside a batch: the ACK goes now.
    virtual bool hold_ack(Connection& connection) = 0;
};

class Connection {
  public:
    Connection(ConnectionHost& host, const TcpSocketOptions& options);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // --- opening ---
    // SYN-SENT: sends our SYN. `mss` is what our route's MTU allows (MTU - 40).
    void connect(FourTuple tuple, std::uint32_t iss, std::uint32_t ts_offset, std::uint16_t mss,
                 Instant now);
    // SYN-RECEIVED from a listener's SYN: sends the SYN-ACK.
    void accept_syn(Connection* listener, FourTuple tuple, const wire::TcpRepr& syn,
                    std::uint32_t iss, std::uint32_t ts_offset, std::uint16_t mss, Instant now);
    // ESTABLISHED straight from the ACK that returned a valid SYN cookie (syn_cookie.hpp):
    // our ISS is ack - 1, the peer's seq - 1; timestamps when the ACK carries them, window
    // scaling and SACK as its TSecr says (`peer_scale`, `sack`).
    void accept_cookie(Connection* listener, FourTuple tuple, const wire::TcpRepr& ack,
                       std::uint16_t peer_mss, std::optional<std::uint8_t> peer_scale, bool sack,
                       std::uint32_t ts_offset, std::uint16_t mss, Instant now);
    // The window scale we offer with these options (RFC 7323 2.3: the smallest shift that
    // says the largest receive buffer).
    static std::uint8_t receive_scale(const TcpConfig& config, const TcpSocketOptions& options);
    void listen(std::size_t backlog);

    // --- the user's calls (tcp_send, tcp_receive, ...) ---
    // `urgent`: the urgent pointer moves to the end of what was taken (send MSG_OOB).
    std::size_t send(std::span<const std::byte> data, Instant now, bool urgent = false);
    // Stops at the urgent mark; at it, skips the mark's byte unless oob_inline.
    std::size_t receive(std::span<std::byte> out, Instant now);
    // The two calls above in halves, for a caller that moves the bytes itself (a splice
    // reading a descriptor straight into the send buffer, writing one straight from the
    // receive buffer). send_space: free room for up to `max` bytes (empty: the buffer is
    // full, and the socket turns writable once it frees); send_commit: the first n of it
    // are data, as send(). receive_view: what receive() would return, in place;
    // receive_commit: n of it were read. A span is valid until the next call.
    std::span<std::byte> send_space(std::size_t max);
    void send_commit(std::size_t n, Instant now, bool urgent);
    std::span<const std::byte> receive_view();
    void receive_commit(std::size_t n, Instant now);
    TcpUrgent urgent() const;
    std::expected<std::byte, SocketError> receive_urgent();
    void shutdown_write(Instant now);
    void shutdown_read();
    // Sends a RST (when synchronized) and goes to CLOSED.
    void abort(Instant now);
    // The socket was closed: nobody reads any more.
    void orphan(Instant now);
    void set_options(const TcpSocketOptions& options, Instant now);

    // --- the network's ---
    void input(const wire::TcpRepr& segment, Instant now);
    // RFC 1122 4.2.3.9 / RFC 5461: ICMP unreachable; `hard` ones (protocol, port) abort a
    // connection being opened, soft ones are kept and reported if it times out.
    void icmp_unreachable(SocketError error, bool hard, Instant now);
    // RFC 1191: a router on the path needs segments of at most `mtu` (IP) bytes.
    void icmp_fragmentation_needed(std::size_t mtu, Instant now);
    std::optional<Instant> deadline() const;
    void on_timer(Instant now);
    // The end of the receive batch that held our ACK (ConnectionHost::hold_ack): sends it
    // unless a segment since carried it.
    void send_held_ack(Instant now);

    // --- reading the state ---
    TcpState state() const { return state_; }
    const FourTuple& tuple() const { return tuple_; }
    const TcpSocketOptions& options() const { return options_; }
    TcpInfo info() const;
    bool readable_eof() const;      // the peer's FIN is consumed and everything before it read
    std::size_t readable() const;   // what receive() can return: not a withheld urgent byte
    std::size_t send_free() const;  // what tcp_send would take now (send_limit() less held)
    bool can_send() const;          // state allows tcp_send
    std::optional<SocketError> take_error();
    // RFC 5927 4.1: an ICMP error quoting a sequence number we never sent is forged.
    bool sent_sequence(std::uint32_t seq) const;
    // RFC 6191 / RFC 9293 3.6.1: a SYN may take over this TIME-WAIT 4-tuple when its
    // timestamp (or, without timestamps, its sequence number) is newer than anything seen.
    bool time_wait_accepts(const wire::TcpRepr& syn) const;
    bool has_error() const { return error_.has_value(); }
    bool write_shut() const { return fin_queued_; }
    // A half-open passive connection (SYN-RECEIVED) whose peer's ACK does not acknowledge
    // our SYN-ACK: true when `ack` is a plain ACK outside SND.UNA < SEG.ACK <= SND.MAX.
    bool half_open_misses(const wire::TcpRepr& ack) const;
    // Such a connection goes without a word (no RST): its peer took a SYN cookie of ours
    // instead, sent for an earlier copy of its SYN (Stack: tcp_input).
    void forget_half_open();
    // A new active open to our own address may take this 4-tuple from TIME-WAIT (as Linux's
    // tcp_tw_reuse, on by default for loopback): timestamps were on, so PAWS keeps the old
    // connection's segments out of the new one, and the last was at least a second ago.
    bool time_wait_reusable(Instant now) const;
    // What a bound socket takes (binding_accepts): its address and IPV6_V6ONLY.
    Binding binding() const { return {bound.value_or(Endpoint{}).address, options_.v6_only}; }

    // The table's bookkeeping.
    SocketId socket = 0;
    std::optional<Endpoint> bound{};       // tcp_bind's endpoint, before connect or listen
    Connection* listener = nullptr;        // for a child not yet accepted
    std::deque<Connection*> accept_queue;  // listeners: established children
    std::size_t half_open = 0;             // listeners: children in SYN-RECEIVED
    std::size_t backlog = 0;
    std::uint64_t serial = 0;
    std::optional<Instant> scheduled{};  // where the table's timer index has it

  private:
    // Output.
    void output(Instant now);
    void send_segment(std::uint32_t seq, std::uint8_t flags, std::span<const std::byte> data,
                      Instant now, bool with_syn_options = false);
    // A pure ACK carries SND.MAX, not a SND.NXT that a timeout moved back (as Linux): the
    // peer may hold everything sent, and would find an older sequence number outside its
    // window and drop the ACK (two ends retransmitting at once would then never progress).
    void send_ack(Instant now) { send_segment(snd_max_, wire::tcp_flag::ack, {}, now); }
    void send_syn(Instant now);
    // One segment of data (and the FIN when it is the last) starting at `seq`; returns the
    // sequence space it took.
    std::uint32_t send_data_at(std::uint32_t seq, std::uint32_t max_len, Instant now);
    void send_reset(std::uint32_t seq, Instant now);
    void challenge_ack(Instant now);
    std::uint16_t window_field(bool syn);
    std::uint32_t advertise_window();
    std::uint32_t max_payload() const;
    // The payload of a full segment from the peer: the MSS we announced less the timestamps
    // it then carries in each one (Linux's rcv_mss is what segments hold, too). Else a
    // window of two segments (lo: 64 KiB segments, a 128 KiB buffer) never opens by one.
    std::size_t full_segment() const {
        const std::size_t options = ts_ok_ ? wire::tcp_timestamps_option_len : 0;
        return local_mss_ > options ? local_mss_ - options : local_mss_;
    }
    std::uint32_t timestamp_now(Instant now) const;

    // Input steps.
    void input_syn_sent(const wire::TcpRepr& seg, Instant now);
    bool acceptable(const wire::TcpRepr& seg) const;
    void input_rst(const wire::TcpRepr& seg, Instant now);
    bool input_ack(const wire::TcpRepr& seg, Instant now);  // false: stop processing
    bool fin_acked() const;
    void arm_keepalive(Instant now);
    void new_ack(const wire::TcpRepr& seg, std::uint32_t acked, Instant now);
    void duplicate_ack(Instant now);
    void input_data(const wire::TcpRepr& seg, std::uint32_t seq, std::span<const std::byte> data,
                    Instant now);
    void input_fin(Instant now);
    void input_urgent(const wire::TcpRepr& seg);
    // Whether the ACK new data calls for may wait for the end of its receive batch.
    bool hold_ack();
    // The sequence number of the next byte the reader gets (the FIN's, once it came, is
    // not a byte).
    std::uint32_t read_seq() const {
        return rcv_nxt_ - static_cast<std::uint32_t>(receive_.readable()) - (fin_received_ ? 1 : 0);
    }
    std::uint32_t data_end_received() const { return rcv_nxt_ - (fin_received_ ? 1 : 0); }
    void take_options(const wire::TcpRepr& syn);
    void add_sack_blocks(wire::TcpRepr& seg) const;
    void update_window(const wire::TcpRepr& seg);

    // RFC 6675 (sack_recovery.cpp), used instead of NewReno when SACK was negotiated.
    void sack_ack(const wire::TcpRepr& seg, bool duplicate_5681, Instant now);
    SackScoreboard::Update take_sack_blocks(const wire::TcpRepr& seg);
    void sack_enter_recovery(Instant now);
    void sack_partial_ack(Instant now);
    void sack_exit_recovery();
    std::uint32_t sack_pipe() const;          // SetPipe()
    bool sack_next_segment(Instant now);      // NextSeg() and its transmission
    bool sack_send_new(Instant now);          // NextSeg() rule 2
    void sack_limited_transmit(Instant now);  // RFC 6675 5 step (3), RFC 3042
    bool sack_output(Instant now);            // (C): while cwnd - pipe >= SMSS
    void prr_ack(std::uint64_t delivered);    // RFC 6937: cwnd = pipe + sndcnt in recovery
    std::uint32_t sack_retransmit(std::uint32_t seq, Instant now);  // up to the next SACKed
    void sack_reset();                                              // RTO: RFC 2018 / RFC 6675 5.1
    std::uint32_t data_end() const;  // snd_max_, less a sent FIN's sequence number

    // State changes.
    void set_state(TcpState state);
    void established(Instant now);
    void enter_time_wait(Instant now);
    void close_with(std::optional<SocketError> error);
    void raise(std::uint8_t bits);
    void restart_rto(Instant now);
    void on_rto(Instant now);
    void on_persist(Instant now);
    void on_keepalive(Instant now);
    std::uint32_t data_offset(std::uint32_t seq) const { return seq - send_base_; }
    std::uint32_t fin_seq() const;
    bool fin_sent() const;
    std::uint32_t flight() const { return snd_max_ - snd_una_; }
    std::uint32_t send_mss() const { return cc_ ? cc_->mss : 536; }
    std::size_t send_limit() const;  // the send buffer as autotuned (connection.cpp)
    void expand_send_buffer();       // as cwnd grows

    ConnectionHost& host_;
    TcpSocketOptions options_;
    TcpState state_ = TcpState::closed;
    FourTuple tuple_{};
    bool passive_ = false;

    // Send sequence space (RFC 9293 3.3.1); snd_max_ is the highest ever sent.
    std::uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0;
    std::uint32_t snd_wnd_ = 0, max_snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0;
    std::uint32_t send_base_ = 0;  // sequence number of send_'s first byte
    // Receive sequence space.
    std::uint32_t irs_ = 0, rcv_nxt_ = 0, rcv_adv_ = 0, last_ack_sent_ = 0;
    std::uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
    bool wscale_ok_ = false;
    bool ts_ok_ = false;
    // RFC 2018: our ACKs report what the out-of-order queue holds; the peer's blocks fill
    // the scoreboard that RFC 6675 recovery works from.
    bool sack_ok_ = false;
    std::uint32_t last_out_of_order_ = 0;  // the latest segment held out of order (its seq)
    std::uint32_t ts_offset_ = 0, ts_recent_ = 0;
    Instant ts_recent_time_{};
    std::uint16_t local_mss_ = 536, peer_mss_ = 536;

    SendBuffer send_;
    ReceiveBuffer receive_;
    bool fin_queued_ = false;    // our FIN follows the last byte in send_
    bool fin_received_ = false;  // the peer's FIN is in rcv_nxt_
    bool read_shut_ = false;
    bool orphaned_ = false;
    bool send_blocked_ = false;       // tcp_send filled the buffer: raise writable when it drains
    std::size_t send_autotuned_ = 0;  // the largest send_limit() autotuning reached
    UrgentSender urgent_out_;
    UrgentReceiver urgent_in_;

    RttEstimator rtt_;
    std::optional<std::uint32_t> rtt_seq_{};  // without timestamps: the segment being timed
    Instant rtt_start_{};
    std::unique_ptr<CongestionController> cc_;
    std::uint32_t dupacks_ = 0;
    bool in_recovery_ = false;
    std::uint32_t recover_ = 0;  // RFC 6582's `recover`, RFC 6675's RecoveryPoint
    SackScoreboard sack_board_;
    std::uint32_t high_rxt_ = 0;    // RFC 6675 HighRxt (the end of the highest retransmitted)
    std::uint32_t rescue_rxt_ = 0;  // RFC 6675 RescueRxt
    // RFC 6937 (PRR), for the current SACK recovery: what the receiver got since it began,
    // what we sent, and the flight when it began.
    std::uint64_t prr_delivered_ = 0;
    std::uint64_t prr_out_ = 0;
    std::uint64_t recover_fs_ = 0;
    std::uint32_t retries_ = 0;

    std::uint32_t segments_unacked_ = 0;  // received since our last ACK (delayed ACK)
    // A segment shorter than a full one is unacknowledged (Linux's ICSK_ACK_PUSHED): once the
    // reader has taken everything, it is acknowledged at once. The sender's Nagle may hold
    // its next small piece until then: a reply written as a header, then a body, waited
    // 40 ms for the header's delayed ACK. Not while the exchange is interactive (Linux's
    // ping-pong mode: we answered data within the delayed-ACK bound; until that timer fires):
    // there the answer carries the ACK, and an ACK of its own per request would double
    // a request-response's frames.
    bool short_unacked_ = false;
    bool interactive_ = false;
    Instant last_data_in_{};
    bool ack_now_ = false;       // output() sends an ACK even without data
    bool sws_override_ = false;  // on_persist: a window too small to use is used
    bool ack_held_ = false;      // the host sends it at the end of a receive batch
    static constexpr std::size_t kMaxHeldAck = 64 * 1024;  // as a GRO aggregate
    std::optional<Instant> rto_at_{}, delack_at_{}, persist_at_{}, keepalive_at_{}, wait_at_{};
    std::uint32_t window_probes_ = 0;
    std::uint32_t keepalive_probes_ = 0;     // unanswered
    std::optional<std::uint32_t> fin_at_{};  // the peer's FIN, when it came out of order
    Instant last_received_{};
    // Receive-window growth (the window follows what the reader takes per RTT).
    Instant grow_epoch_{};
    std::size_t read_in_epoch_ = 0;

    std::optional<SocketError> error_{};
    std::optional<SocketError> soft_error_{};
    TcpInfo counters_{};  // retransmits, bytes, segments (the rest is computed by info())
};

}  // namespace netstack::tcp
