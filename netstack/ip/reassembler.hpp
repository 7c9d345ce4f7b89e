// IPv4 reassembly (RFC 791 3.2, RFC 815) with bounded memory and a timeout, on the
// family-neutral FragmentTable (ip/fragment_table.hpp), which holds the rules on overlaps,
// limits and completion.
//
// Datagrams are keyed by (source, destination, protocol, identification). Overlaps (RFC
// 5722's concern, applied to IPv4 as Linux does): an exact duplicate is ignored; an overlap
// whose bytes agree is kept; an overlap whose bytes differ, or a second, different end,
// discards the whole datagram (frag_overlap). A fragment over a memory bound is dropped
// (frag_memory_limit); a datagram longer than 65,535 bytes, header of fragment 0 included, is
// discarded (frag_too_big).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "ip/fragment_table.hpp"
#include "netstack/stack.hpp"
#include "netstack/stats.hpp"
#include "netstack/time.hpp"
#include "wire/bytes.hpp"
#include "wire/ipv4.hpp"

namespace netstack::ip {

class Reassembler {
  public:
    Reassembler(const ReassemblyConfig& config, Ipv4Stats& stats)
        : table_(config, {.overlaps = OverlapRule::keep_consistent,
                          .max_len = wire::ipv4_max_total_len,
                          .counted_before_first = wire::ipv4_min_header_len}),
          stats_(stats) {}

    // Takes one fragment: `packet` is the whole validated IP packet (header + payload, no
    // padding), `repr` its parse. Returns the reassembled datagram (header with MF clear,
    // offset 0 and a fresh checksum, then the payload) when this fragment completed it.
    // Always consumes: the bytes are copied or the fragment is dropped and counted.
    // `no_icmp_errors`: this fragment was sent to a broadcast (IP or link layer); the
    // datagram then never draws a time exceeded (RFC 1122 3.2.2).
    std::optional<std::vector<std::byte>> add(wire::Bytes packet, const wire::Ipv4Repr& repr,
                                              Instant now, bool no_icmp_errors = false);

    // Discards datagrams whose time ran out (frag_timeout). For each that had its first
    // fragment and was not sent to a broadcast, appends that fragment's header and first 8
    // data bytes (what an ICMP time exceeded message quotes, RFC 792) to `expired_first`.
    void poll(Instant now, std::vector<std::vector<std::byte>>& expired_first);
    std::optional<Instant> next_deadline() const { return table_.next_deadline(); }

    std::size_t datagrams() const { return table_.datagrams(); }
    std::size_t bytes_held() const { return table_.bytes_held(); }

    // Charged per fragment on top of its data.
    static constexpr std::size_t fragment_overhead = FragmentTable::fragment_overhead;

  private:
    FragmentTable table_;
    Ipv4Stats& stats_;
};

}  // namespace netstack::ip
