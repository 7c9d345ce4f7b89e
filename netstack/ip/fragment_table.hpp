// The family-neutral half of IP reassembly, shared by IPv4's (RFC 791 3.2, RFC 815) and
// IPv6's (RFC 8200 4.5): the incomplete datagrams, their fragments, the overlap rules,
// completion, the memory bounds and the deadlines. The families parse their headers, build
// what they keep of fragment 0 (FirstFragment), count the outcomes and fix the reassembled
// header (ip/reassembler.hpp, ip/ipv6_reassembler.hpp).
//
// Each datagram keeps its fragments as received; it is complete when they cover [0, end)
// without a hole, the last fragment (M clear) fixed `end` and fragment 0 came. Overlaps: an
// exact duplicate is ignored; under keep_consistent (IPv4, as Linux) an overlap whose bytes
// agree is kept; any other overlap, or a second, different end, discards the whole datagram
// (RFC 5722, which IPv6 requires: duplicates_only). Limits: at most max_datagrams incomplete
// datagrams, max_bytes together (each fragment charged its data plus fragment_overhead) and
// max_fragments_per_datagram fragments each; a fragment over a limit is dropped, and with it a
// datagram that could no longer complete. A datagram whose counted head plus data would pass
// max_len is discarded (too_big).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/stack.hpp"
#include "netstack/time.hpp"
#include "wire/bytes.hpp"

namespace netstack::ip {

// Datagrams are told apart by source, destination, identification and, for IPv4 only, the
// protocol (RFC 791); RFC 8200 keys by the first three. The families never meet: an
// IpAddress carries its family.
struct FragmentKey {
    IpAddress src{};
    IpAddress dst{};
    std::uint32_t ident = 0;
    std::uint8_t protocol = 0;  // IPv6: 0
    auto operator<=>(const FragmentKey&) const = default;
};

// What a datagram keeps of its fragment 0 besides the data; the family fills it in.
struct FirstFragment {
    // The first head_len bytes start the reassembled packet (the IPv4 header; the IPv6
    // unfragmentable part); the family may keep more after them (IPv4: 8 data bytes to quote
    // in a time exceeded; IPv6: the Fragment header).
    std::vector<std::byte> bytes{};
    std::size_t head_len = 0;
    // Of the head, what counts towards max_len: IPv4's total length counts its header,
    // IPv6's payload length all but the fixed header.
    std::size_t counted_len = 0;
    std::size_t mark = 0;  // a position in the head the family needs (IPv6: the Next Header
                           // byte that names the Fragment header)
};

enum class OverlapRule : std::uint8_t {
    keep_consistent,  // overlapping bytes that agree are kept (IPv4)
    duplicates_only,  // RFC 5722: any overlap but an exact duplicate discards the datagram
};

class FragmentTable {
  public:
    struct Rules {
        OverlapRule overlaps = OverlapRule::duplicates_only;
        std::size_t max_len = 65535;           // counted head plus data
        std::size_t counted_before_first = 0;  // the counted head assumed until fragment 0 came
    };
    FragmentTable(const ReassemblyConfig& config, Rules rules) : config_(config), rules_(rules) {}

    struct Fragment {
        std::size_t offset = 0;
        std::vector<std::byte> data{};
        std::size_t end() const { return offset + data.size(); }
    };
    struct Datagram {
        Instant deadline{};
        std::vector<Fragment> fragments{};     // sorted by offset
        std::optional<std::size_t> end{};      // data length, once the last fragment came
        std::optional<FirstFragment> first{};  // once fragment 0 came
        std::size_t bytes = 0;                 // charged against max_bytes
        std::size_t extent = 0;                // highest fragment end held
        std::size_t longest = 0;               // longest fragment held (bounds the overlap scan)
        bool no_icmp_errors = false;           // some fragment came to a broadcast or multicast
    };

    // Charged per fragment on top of its data: the Fragment and its allocation.
    static constexpr std::size_t fragment_overhead = sizeof(Fragment) + 32;

    enum class Outcome : std::uint8_t {
        held,          // kept; the datagram is still incomplete
        complete,      // this fragment completed the datagram: see Added
        duplicate,     // an exact copy of a fragment held: ignored
        overlap,       // an inconsistent overlap or end: the datagram was discarded
        too_big,       // past max_len: the fragment dropped, its datagram discarded
        memory_limit,  // over a bound: the fragment dropped (and the datagram, if it could no
                       // longer complete)
    };
    struct Added {
        Outcome outcome = Outcome::held;
        // complete: fragment 0's head followed by the data, and what was kept of fragment 0
        // (its head bytes copied already); the family fixes the header.
        std::vector<std::byte> packet{};
        FirstFragment first{};
    };
    // One fragment of data `data` at byte `offset`; `more`: not the last. `first`: given with
    // fragment 0 (offset 0), what to keep of it. `no_icmp_errors`: the fragment came to a
    // broadcast or multicast address, so its datagram never draws a time exceeded. The caller
    // has checked the family's length rules (multiples of 8).
    Added add(const FragmentKey& key, std::size_t offset, wire::Bytes data, bool more,
              std::optional<FirstFragment> first, bool no_icmp_errors, Instant now);

    // Discards the datagrams whose time ran out, calling on_expired(Datagram&) for each
    // first (the family builds its time exceeded quote from it). Returns how many.
    template <class Fn>
    std::size_t poll(Instant now, Fn&& on_expired) {
        std::size_t expired = 0;
        for (auto it = datagrams_.begin(); it != datagrams_.end();) {
            if (it->second.deadline > now) {
                ++it;
                continue;
            }
            ++expired;
            on_expired(it->second);
            it = discard(it);
        }
        return expired;
    }
    std::optional<Instant> next_deadline() const;

    std::size_t datagrams() const { return datagrams_.size(); }
    std::size_t bytes_held() const { return bytes_held_; }

  private:
    using Map = std::map<FragmentKey, Datagram>;
    enum class Fit : std::uint8_t { fresh, duplicate, conflict };
    Fit check_overlaps(const Datagram& d, std::size_t offset, wire::Bytes data) const;
    static bool complete(const Datagram& d);
    static std::vector<std::byte> assemble(const Datagram& d);
    Map::iterator discard(Map::iterator it);

    const ReassemblyConfig& config_;
    Rules rules_;
    Map datagrams_;
    std::size_t bytes_held_ = 0;
};

}  // namespace netstack::ip
