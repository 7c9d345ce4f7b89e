// Counters: every way a frame can be dropped has a name. Plain integers, written by the
// stack's single owner thread; copy them out to read from elsewhere.
#pragma once

#include <cstdint>

namespace netstack {

struct EthernetStats {
    std::uint64_t rx_frames = 0;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_frames = 0;
    std::uint64_t tx_bytes = 0;
    std::uint64_t tx_dropped = 0;       // the device refused the frame
    std::uint64_t drop_short = 0;       // shorter than an Ethernet header
    std::uint64_t drop_not_for_us = 0;  // destination not ours, not broadcast/multicast we take
    std::uint64_t drop_own_source = 0;  // our own frame seen on a shared medium
    std::uint64_t drop_vlan = 0;        // 802.1Q tagged, and tags are dropped by configuration
    std::uint64_t drop_unknown_ethertype = 0;
    std::uint64_t drop_interface_down = 0;
};

struct ArpStats {
    std::uint64_t rx_requests = 0;
    std::uint64_t rx_replies = 0;
    std::uint64_t tx_requests = 0;
    std::uint64_t tx_replies = 0;
    std::uint64_t tx_gratuitous = 0;
    std::uint64_t drop_malformed = 0;     // short, wrong hardware/protocol type or lengths
    std::uint64_t drop_not_for_us = 0;    // a request for an address we do not hold
    std::uint64_t drop_bad_sender = 0;    // sender is broadcast/multicast/zero MAC or our own IP
    std::uint64_t resolve_failed = 0;     // broadcast requests unanswered (incomplete -> failed)
    std::uint64_t nud_failed = 0;         // a known neighbour stopped answering (probe -> failed)
    std::uint64_t tx_address_probes = 0;  // RFC 5227 probes sent (probe_address)
    std::uint64_t address_conflicts = 0;  // another MAC claimed one of our addresses (shard 0)
    std::uint64_t tx_defences = 0;        // announcements sent to defend an address (2.4 (b))
    std::uint64_t pending_dropped = 0;    // queued packets dropped: queue full or resolution failed
    std::uint64_t cache_full = 0;         // an entry evicted to make room
};

struct Ipv4Stats {
    std::uint64_t rx_packets = 0;
    std::uint64_t rx_delivered = 0;  // handed to ICMP/UDP (after reassembly)
    std::uint64_t tx_packets = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t drop_short = 0;
    std::uint64_t drop_bad_version = 0;
    std::uint64_t drop_bad_header_len = 0;
    std::uint64_t drop_bad_total_len = 0;
    std::uint64_t drop_bad_checksum = 0;
    std::uint64_t drop_bad_source = 0;  // broadcast/multicast source
    std::uint64_t drop_martian = 0;     // 127/8 source or destination off a loopback interface
    std::uint64_t drop_not_for_us = 0;  // not our address and forwarding off
    std::uint64_t drop_ttl_exceeded = 0;
    std::uint64_t drop_no_route = 0;
    std::uint64_t drop_unknown_protocol = 0;
    std::uint64_t drop_df_too_big = 0;  // must fragment, DF set (ICMP frag-needed sent)
    std::uint64_t drop_not_owner = 0;   // another shard owns this flow (see Shard)
    std::uint64_t frag_received = 0;
    std::uint64_t frag_reassembled = 0;
    std::uint64_t frag_timeout = 0;       // datagrams abandoned incomplete
    std::uint64_t frag_overlap = 0;       // fragments rejected for overlapping inconsistently
    std::uint64_t frag_memory_limit = 0;  // fragments dropped: reassembly memory bound
    std::uint64_t frag_too_big = 0;       // would reassemble past 65,535 bytes
    std::uint64_t fragments_sent = 0;
};

struct IcmpStats {
    std::uint64_t rx_echo_requests = 0;
    std::uint64_t rx_echo_replies = 0;
    std::uint64_t rx_errors = 0;  // destination unreachable, time exceeded, ...
    std::uint64_t tx_echo_requests = 0;
    std::uint64_t tx_echo_replies = 0;
    std::uint64_t tx_errors = 0;
    std::uint64_t rate_limited = 0;  // errors or replies not sent because of the rate limit
    std::uint64_t drop_short = 0;
    std::uint64_t drop_bad_checksum = 0;
    std::uint64_t drop_unknown_type = 0;
    std::uint64_t drop_no_socket = 0;       // an echo reply (or an error) no socket waits for
    std::uint64_t drop_broadcast_echo = 0;  // echo request to a broadcast (RFC 1122 3.2.2.6)
    std::uint64_t drop_queue_full = 0;      // echo reply: the ping socket's queue is full
};

struct UdpStats {
    std::uint64_t rx_datagrams = 0;
    std::uint64_t tx_datagrams = 0;
    std::uint64_t drop_short = 0;
    std::uint64_t drop_bad_length = 0;
    std::uint64_t drop_bad_checksum = 0;
    std::uint64_t drop_no_socket = 0;  // port unreachable sent (rate limited)
    std::uint64_t drop_queue_full = 0;
};

// Counted only in the shard that owns the segment's connection (see stack.hpp).
struct TcpStats {
    std::uint64_t rx_segments = 0;  // valid segments this shard owns
    std::uint64_t tx_segments = 0;
    std::uint64_t retransmits = 0;           // segments sent again, all causes
    std::uint64_t fast_retransmits = 0;      // recoveries entered on three duplicate ACKs
    std::uint64_t sack_recoveries = 0;       // of those, RFC 6675's (SACK) rather than NewReno's
    std::uint64_t sack_retransmits = 0;      // segments retransmitted in RFC 6675 recovery
    std::uint64_t sack_blocks_received = 0;  // taken into a scoreboard
    std::uint64_t sack_blocks_invalid = 0;   // ignored: D-SACK, outside what was sent, malformed
    std::uint64_t timeouts = 0;              // retransmission timer expiries
    std::uint64_t active_opens = 0;
    std::uint64_t passive_opens = 0;
    std::uint64_t rx_resets = 0;  // RSTs that reset a connection
    std::uint64_t tx_resets = 0;
    std::uint64_t challenge_acks = 0;          // RFC 5961
    std::uint64_t challenge_acks_limited = 0;  // not sent: the per-stack budget was spent
    std::uint64_t window_probes = 0;
    std::uint64_t keepalive_probes = 0;
    std::uint64_t connections_timed_out = 0;  // retransmissions or keepalives exhausted
    std::uint64_t time_wait_reused = 0;  // a new SYN (or our connect) took over a TIME-WAIT 4-tuple
    std::uint64_t urgent_sent = 0;       // tcp_send_urgent calls that queued data
    std::uint64_t urgent_received = 0;   // new urgent pointers from peers (socket_urgent raised)
    std::uint64_t drop_short = 0;
    std::uint64_t drop_bad_offset = 0;
    std::uint64_t drop_bad_option = 0;  // malformed option lengths
    std::uint64_t drop_bad_checksum = 0;
    std::uint64_t drop_bad_address = 0;  // to a broadcast/multicast address, or from one
    std::uint64_t drop_not_owner = 0;    // another shard owns this 4-tuple (no RST from us)
    std::uint64_t drop_no_listener = 0;  // no connection or listener: answered with a RST
    std::uint64_t drop_out_of_window = 0;
    std::uint64_t drop_paws = 0;               // RFC 7323 5: an old timestamp
    std::uint64_t drop_syn_queue_full = 0;     // syn_cookies off: the SYN is dropped
    std::uint64_t cookies_sent = 0;            // SYN queue full: a stateless SYN-ACK instead
    std::uint64_t cookies_validated = 0;       // an ACK returned a valid cookie
    std::uint64_t cookies_failed = 0;          // an ACK for no connection carried no valid cookie
    std::uint64_t cookies_over_half_open = 0;  // a valid cookie ACK replaced a half-open connection
    std::uint64_t time_wait_overflow = 0;      // TIME-WAITs over max_connections: closed at once
    std::uint64_t drop_accept_queue_full = 0;  // the handshake's ACK, backlog full
    std::uint64_t drop_out_of_order_full = 0;
    std::uint64_t drop_connection_limit = 0;  // config.tcp.max_connections reached
};

// IPv6 (RFC 8200).
struct Ipv6Stats {
    std::uint64_t rx_packets = 0;
    std::uint64_t rx_delivered = 0;  // handed to ICMPv6/UDP/TCP (after reassembly)
    std::uint64_t tx_packets = 0;
    std::uint64_t forwarded = 0;           // routed on to another node (StackConfig::forwarding)
    std::uint64_t drop_malformed = 0;      // short, bad version or payload length past the frame
    std::uint64_t drop_bad_extension = 0;  // an extension header chain that breaks RFC 8200 4
    std::uint64_t drop_bad_source = 0;     // multicast or (but for DAD) unspecified source
    std::uint64_t drop_not_for_us = 0;     // not our address or a group we listen to
    std::uint64_t drop_tentative = 0;      // to an address still under DAD (RFC 4862 5.4)
    std::uint64_t drop_no_route = 0;
    std::uint64_t drop_unknown_protocol = 0;
    std::uint64_t drop_too_big = 0;    // over the MTU (IPv6 routers never fragment)
    std::uint64_t drop_not_owner = 0;  // another shard owns this flow (see Shard)
    // Forwarding (RFC 8200, RFC 4443); drop_no_route and drop_too_big count there too.
    std::uint64_t drop_hop_limit = 0;   // hop limit would reach 0: time exceeded sent
    std::uint64_t drop_scope = 0;       // link-local source or destination (RFC 4291 2.5.6)
    std::uint64_t drop_unroutable = 0;  // to ::, or from or to a v4-mapped address
    std::uint64_t fragments_sent = 0;
    // Reassembly (4.5); the frag_ counters mean what IPv4's do.
    std::uint64_t frag_received = 0;
    std::uint64_t frag_reassembled = 0;
    std::uint64_t frag_atomic = 0;        // offset 0, M clear: taken whole (RFC 6946)
    std::uint64_t frag_timeout = 0;       // datagrams abandoned incomplete
    std::uint64_t frag_overlap = 0;       // any overlap but an exact duplicate (RFC 5722)
    std::uint64_t frag_memory_limit = 0;  // fragments dropped: reassembly memory bound
    std::uint64_t frag_too_big = 0;       // payload past 65,535 bytes (parameter problem)
    std::uint64_t frag_bad_length = 0;    // M set, length not a positive multiple of 8 (idem)
};

struct Icmpv6Stats {
    std::uint64_t rx_echo_requests = 0;
    std::uint64_t rx_echo_replies = 0;
    std::uint64_t tx_echo_requests = 0;
    std::uint64_t tx_echo_replies = 0;
    std::uint64_t rx_errors = 0;  // destination unreachable, packet too big, ...
    std::uint64_t tx_errors = 0;
    std::uint64_t drop_malformed = 0;     // short or bad checksum
    std::uint64_t drop_rate_limited = 0;  // replies and errors over IcmpConfig's bucket
    std::uint64_t drop_unknown_type = 0;
};

// Neighbor Discovery (RFC 4861) and Duplicate Address Detection (RFC 4862).
struct NdpStats {
    std::uint64_t rx_solicitations = 0;
    std::uint64_t rx_advertisements = 0;
    std::uint64_t tx_solicitations = 0;
    std::uint64_t tx_advertisements = 0;
    std::uint64_t drop_invalid = 0;     // RFC 4861 7.1 validation failed (hop limit, options, ...)
    std::uint64_t drop_not_for_us = 0;  // a solicitation for an address that is not ours
    std::uint64_t dad_succeeded = 0;    // tentative addresses that became preferred
    std::uint64_t dad_duplicates = 0;   // tentative addresses another node holds
    std::uint64_t address_conflicts = 0;  // an advertisement for one of our preferred addresses
    // Router discovery (RFC 4861 6, RFC 4862 5.5). What every shard of a stack does alike
    // (ignoring, forming, expiring) is counted by shard 0 only.
    std::uint64_t rx_router_solicitations = 0;
    std::uint64_t rx_router_advertisements = 0;
    std::uint64_t tx_router_solicitations = 0;
    std::uint64_t tx_router_advertisements = 0;
    std::uint64_t ra_ignored = 0;        // while forwarding or advertising; a router over the bound
    std::uint64_t prefixes_ignored = 0;  // not /64, preferred > valid, over the bound
    std::uint64_t slaac_addresses = 0;   // addresses formed from advertised prefixes
    std::uint64_t addresses_expired = 0;  // their valid lifetime ran out: removed
    std::uint64_t routers_expired = 0;    // default routers and prefixes whose lifetime ran out
};

struct StackStats {
    EthernetStats ethernet{};
    ArpStats arp{};
    Ipv4Stats ipv4{};
    IcmpStats icmp{};
    Ipv6Stats ipv6{};
    Icmpv6Stats icmpv6{};
    NdpStats ndp{};
    UdpStats udp{};
    TcpStats tcp{};
};

}  // namespace netstack
