// IPv4 reassembly (RFC 791 3.2, RFC 815) with bounded memory and a timeout.
//
// Datagrams are keyed by (source, destination, protocol, identification). Each keeps its
// fragments as received; a datagram is complete when the fragments cover [0, end) without a
// hole and the last fragment (MF clear) fixed `end`. Overlaps (RFC 5722's concern, applied to
// IPv4 as Linux does): an exact duplicate is ignored; an overlap whose bytes agree is kept;
// an overlap whose bytes differ, or a second, different end, discards the whole datagram
// (frag_overlap). Limits: at most max_datagrams incomplete datagrams, max_bytes together
// (each fragment charged its data plus fragment_overhead) and max_fragments_per_datagram
// fragments each; a fragment over a limit is dropped (frag_memory_limit); a datagram longer
// than 65,535 bytes, header of fragment 0 included, is discarded (frag_too_big).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "netstack/stack.hpp"
#include "netstack/stats.hpp"
#include "netstack/time.hpp"
#include "wire/bytes.hpp"
#include "wire/ipv4.hpp"

namespace netstack::ip {

class Reassembler {
  public:
    Reassembler(const ReassemblyConfig& config, Ipv4Stats& stats)
        : config_(config), stats_(stats) {}

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
    std::optional<Instant> next_deadline() const;

    std::size_t datagrams() const { return datagrams_.size(); }
    std::size_t bytes_held() const { return bytes_held_; }

  private:
    struct Key {
        std::uint32_t src, dst;
        std::uint8_t protocol;
        std::uint16_t ident;
        auto operator<=>(const Key&) const = default;
    };
    struct Fragment {
        std::size_t offset = 0;
        std::vector<std::byte> data{};
        std::size_t end() const { return offset + data.size(); }
    };
    struct Datagram {
        Instant deadline{};
        std::vector<Fragment> fragments{};  // sorted by offset
        std::optional<std::size_t> end{};   // payload length, once the last fragment came
        std::vector<std::byte> first{};     // header + first 8 data bytes of fragment 0
        std::size_t header_len = 0;         // of fragment 0
        std::size_t bytes = 0;              // charged against max_bytes
        std::size_t extent = 0;             // highest fragment end held
        std::size_t longest = 0;            // longest fragment held (bounds the overlap scan)
        bool no_icmp_errors = false;        // some fragment came to a broadcast
    };
    using Map = std::map<Key, Datagram>;

  public:
    // Charged per fragment on top of its data: the Fragment and its allocation.
    static constexpr std::size_t fragment_overhead = sizeof(Fragment) + 32;

  private:
    enum class Fit : std::uint8_t { fresh, duplicate, conflict };
    static Fit check_overlaps(const Datagram& d, std::size_t offset, wire::Bytes data);
    static bool complete(const Datagram& d);
    std::vector<std::byte> assemble(const Datagram& d) const;
    void discard(Map::iterator it);

    const ReassemblyConfig& config_;
    Ipv4Stats& stats_;
    Map datagrams_;
    std::size_t bytes_held_ = 0;
};

}  // namespace netstack::ip
