// IPv6 reassembly (RFC 8200 4.5) on the family-neutral FragmentTable (ip/fragment_table.hpp),
// with RFC 5722's rule: any overlap but an exact duplicate discards the whole datagram.
//
// Datagrams are keyed by (source, destination, identification). The caller walks the header
// chain to the Fragment header and hands over its fields (Fragment below); the reassembled
// packet is fragment 0's unfragmentable part, with the Next Header byte that named the
// Fragment header now naming the first header of the fragmentable part (the Fragment header's
// own, of fragment 0) and Payload Length fixed, followed by the fragmentable part. Errors the
// caller answers with an ICMPv6 parameter problem, code 0 (RFC 8200 4.5):
//   bad_length  M set and a length not a multiple of 8 (nor an empty one, as IPv4 rules):
//               point at the Payload Length field (offset 4).
//   too_big     offset + length would make a payload past 65,535 bytes: point at the Fragment
//               Offset field (the Fragment header's offset + 2). The datagram is discarded too.
// An atomic fragment (offset 0, M clear) is returned at once and never touches other
// fragments with its identification (RFC 6946). A datagram not complete within
// config.timeout is discarded; when its fragment 0 came (and not to a multicast address) the
// caller sends time exceeded, code 1, quoting it (poll()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <vector>

#include "ip/fragment_table.hpp"
#include "netstack/address.hpp"
#include "netstack/stack.hpp"
#include "netstack/stats.hpp"
#include "netstack/time.hpp"
#include "wire/bytes.hpp"

namespace netstack::ip {

class Ipv6Reassembler {
  public:
    Ipv6Reassembler(const ReassemblyConfig& config, Ipv6Stats& stats);

    // One fragment as found in a received packet. The views need only last for add().
    struct Fragment {
        Ipv6Address src{};
        Ipv6Address dst{};
        std::uint32_t ident = 0;       // the Fragment header's Identification
        std::size_t offset = 0;        // in bytes (the Fragment Offset field times 8)
        bool more = false;             // M
        std::uint8_t next_header = 0;  // the Fragment header's: the fragmentable part's first
        // Everything before the Fragment header: the IPv6 header (at least 40 bytes) and the
        // extension headers of the unfragmentable part.
        wire::Bytes unfragmentable{};
        // In `unfragmentable`: the Next Header byte that names the Fragment header (6 when the
        // Fragment header follows the IPv6 header).
        std::size_t next_header_at = 6;
        wire::Bytes data{};  // everything after the Fragment header
    };
    enum class Error : std::uint8_t { bad_length, too_big };

    // Takes one fragment. Returns the reassembled packet when this fragment completed one (or
    // was atomic), nothing when it was held or dropped (duplicates, overlaps, memory bounds:
    // counted), or an error to answer (see the top). Always consumes: the bytes are copied or
    // the fragment is dropped. `no_icmp_errors`: it came to a multicast address (RFC 4443 2.4
    // (e)); its datagram then never draws a time exceeded.
    std::expected<std::optional<std::vector<std::byte>>, Error> add(const Fragment& fragment,
                                                                    Instant now,
                                                                    bool no_icmp_errors = false);

    // Discards datagrams whose time ran out (frag_timeout). For each whose fragment 0 came,
    // appends that fragment as received (rebuilt: unfragmentable part, Fragment header, data),
    // cut to quote_limit bytes, to `expired_first`: what an ICMPv6 time exceeded quotes.
    void poll(Instant now, std::vector<std::vector<std::byte>>& expired_first);
    std::optional<Instant> next_deadline() const { return table_.next_deadline(); }

    std::size_t datagrams() const { return table_.datagrams(); }
    std::size_t bytes_held() const { return table_.bytes_held(); }

    // RFC 4443 2.4 (c): an ICMPv6 error stays within the minimum MTU (1,280 bytes), its own
    // IPv6 and ICMPv6 headers (40 + 8) included.
    static constexpr std::size_t quote_limit = 1280 - 40 - 8;
    static constexpr std::size_t fragment_overhead = FragmentTable::fragment_overhead;

  private:
    FragmentTable table_;
    Ipv6Stats& stats_;
};

}  // namespace netstack::ip
