// TCP's public types: per-stack limits and timings, per-socket options, the state names, the
// TCP_INFO-like snapshot, and the flow hash that decides which shard owns a connection.
// The socket calls themselves are Stack's tcp_* methods (stack.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "netstack/address.hpp"
#include "netstack/time.hpp"

namespace netstack {

// RFC 9293 3.3.2.
enum class TcpState : std::uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};
const char* tcp_state_name(TcpState state);  // "ESTABLISHED", ... as RFC 9293 and ss(8)

enum class CongestionControl : std::uint8_t {
    newreno,  // RFC 5681 + RFC 6582
    cubic,    // RFC 9438 (the default, as Linux)
};
const char* congestion_control_name(CongestionControl algorithm);  // "newreno", "cubic"

enum class ShutdownHow : std::uint8_t { read, write, both };

// Per-stack TCP settings. Every limit bounds memory or work a peer can make us spend.
struct TcpConfig {
    std::size_t max_connections = 16384;      // per stack: listeners and half-open too; TIME-WAITs
                                              // apart, at most as many again
    std::size_t send_buffer = 256 * 1024;     // default per connection (bytes)
    std::size_t receive_buffer = 128 * 1024;  // initial receive window offered
    std::size_t max_receive_buffer = 4 * 1024 * 1024;  // the window grows with use up to this
    std::size_t max_out_of_order = 256;  // segments held ahead of a hole, per connection
    std::size_t syn_queue = 256;         // half-open connections per listener; then SYN cookies
    bool syn_cookies = true;
    bool window_scaling = true;  // RFC 7323
    bool timestamps = true;      // RFC 7323 (RTTM and PAWS)
    bool sack = true;            // RFC 2018
    CongestionControl congestion = CongestionControl::cubic;
    Duration rto_initial = std::chrono::seconds(1);     // RFC 6298 2.1
    Duration rto_min = std::chrono::milliseconds(200);  // Linux's; RFC 6298 says 1 s
    Duration rto_max = std::chrono::seconds(120);
    Duration delayed_ack = std::chrono::milliseconds(40);    // the bound on a delayed ACK
    Duration time_wait = std::chrono::seconds(60);           // 2 * MSL
    Duration fin_wait_2_timeout = std::chrono::seconds(60);  // orphaned FIN-WAIT-2 only
    std::uint32_t syn_retries = 6;     // SYN retransmissions before connect times out
    std::uint32_t synack_retries = 5;  // SYN-ACK retransmissions per half-open connection
    std::uint32_t max_retries = 15;    // data retransmissions before the connection is dropped
    Duration keepalive_idle = std::chrono::hours(2);
    Duration keepalive_interval = std::chrono::seconds(75);
    std::uint32_t keepalive_probes = 9;
    std::uint32_t challenge_ack_per_second = 1000;  // RFC 5961 7: one limit per stack
    std::uint64_t isn_secret = 0;  // RFC 6528's secret; 0 = derived from StackConfig::seed
};

// Per-socket options (setsockopt's TCP_NODELAY, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE,
// TCP_CONGESTION, SO_LINGER with a zero timeout, IPV6_V6ONLY, SO_OOBINLINE). Zero sizes mean
// the stack's defaults.
struct TcpSocketOptions {
    bool no_delay = false;  // Nagle off
    bool keepalive = false;
    bool linger_zero = false;  // close() aborts with a RST instead of a FIN
    std::size_t send_buffer = 0;
    std::size_t receive_buffer = 0;  // also caps the window's growth
    CongestionControl congestion = CongestionControl::cubic;
    // IPV6_V6ONLY, fixed once bound: a bind to :: takes IPv6 only and shares its port with
    // 0.0.0.0; IPv4 addresses are refused (bind: invalid, connect: no_route).
    bool v6_only = false;
    // SO_OOBINLINE: the last urgent byte stays in the stream instead of being read apart
    // (Stack::tcp_receive_urgent); reads stop at the mark either way.
    bool oob_inline = false;
};

// The peer's urgent data as the reader sees it (RFC 9293 3.8.5; the sockets' reading of it,
// which BSD and Linux share: the urgent pointer marks the byte after the urgent data, MUST-31,
// and the last urgent byte, the mark, is one out-of-band byte).
struct TcpUrgent {
    // MUST-33: urgent bytes not yet read, the mark included; 0 when there is no urgent data
    // ahead of the reader.
    std::uint32_t remaining = 0;
    bool at_mark = false;     // SIOCATMARK: the next byte tcp_receive would reach is the mark
    bool byte_ready = false;  // the mark arrived and tcp_receive_urgent can take it
};

// A snapshot of one TCP socket, like Linux's TCP_INFO plus what ss -tani shows.
struct TcpInfo {
    std::uint32_t socket = 0;  // SocketId; 0 for a connection no socket refers to (closed
                               // by its owner, or in TIME-WAIT)
    TcpState state = TcpState::closed;
    Endpoint local{};
    Endpoint remote{};
    std::uint32_t mss = 0;       // the largest segment we send
    std::uint32_t peer_mss = 0;  // what the peer announced
    std::uint8_t send_wscale = 0;
    std::uint8_t receive_wscale = 0;
    bool timestamps = false;
    bool sack = false;
    CongestionControl congestion = CongestionControl::cubic;
    std::uint32_t cwnd = 0;      // bytes
    std::uint32_t ssthresh = 0;  // bytes
    Duration srtt{};
    Duration rttvar{};
    Duration rto{};
    std::uint32_t backoff = 0;              // consecutive RTO expiries
    std::uint64_t retransmits = 0;          // segments retransmitted, all causes
    std::uint64_t bytes_retransmitted = 0;  // their payload (Linux's tcpi_bytes_retrans)
    std::uint64_t sack_blocks_seen = 0;     // SACK blocks in the peer's segments
    std::size_t bytes_in_flight = 0;
    std::size_t send_queued = 0;          // accepted by tcp_send, not yet acknowledged
    std::size_t receive_queued = 0;       // in order, not yet read
    std::size_t out_of_order_queued = 0;  // segments
    // Memory its send and receive buffers hold (allocated, whether filled or not; as the
    // skmem of `ss -m`): none once it will carry no more data (TIME-WAIT).
    std::size_t buffer_bytes = 0;
    std::uint32_t send_window = 0;     // the peer's, scaled
    std::uint32_t receive_window = 0;  // ours, as last advertised, scaled
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_acked = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t segments_in = 0;
    std::uint64_t segments_out = 0;
    std::size_t accept_queue = 0;  // listeners: established, waiting for tcp_accept
    std::size_t syn_queue = 0;     // listeners: half-open
    std::size_t backlog = 0;       // listeners
};

// The shard that owns a connection is tcp_flow_hash(local, remote) % shard count. The hash
// is a fixed function of the 4-tuple (no per-process key), so every shard of a daemon, and
// a test, computes the same owner for a segment; it is not symmetric: `local` is always
// this stack's end.
std::uint32_t tcp_flow_hash(Endpoint local, Endpoint remote);

}  // namespace netstack
