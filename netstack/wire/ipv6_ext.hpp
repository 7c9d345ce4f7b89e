// IPv6 extension headers (RFC 8200 4): the walk from the fixed header's next header to the
// upper-layer protocol, with the rules a host applies on the way, and the Fragment header.
//
// Hop-by-Hop Options and Destination Options (RFC 8200 4.3, 4.6):
//   0 next header  1 length ((this + 1) * 8 bytes)  2 options (type, data length, data)...
// Routing (RFC 8200 4.4):
//   0 next header  1 length  2 routing type  3 segments left  4 type-specific data
// Fragment (RFC 8200 4.5):
//   0 next header  1 reserved  2 fragment offset (13 bits, 8-byte units) | 2 reserved | M
//   4 identification
#pragma once

#include <cstdint>
#include <expected>
#include <optional>

#include "wire/bytes.hpp"
#include "wire/error.hpp"
#include "wire/ip_protocol.hpp"
#include "wire/ipv6.hpp"

namespace netstack::wire {

inline constexpr std::size_t ipv6_frag_header_len = 8;
// A bound on the walk. Each header is at least 8 bytes, so the walk ends anyway; real traffic
// carries two or three.
inline constexpr std::size_t ipv6_max_ext_headers = 8;

namespace ipv6_option {
inline constexpr std::uint8_t pad1 = 0, padn = 1;
}

template <typename Buffer>
class Ipv6FragmentView {
  public:
    explicit Ipv6FragmentView(Buffer buffer) : buffer_(buffer) {}
    bool check_len() const { return buffer_.size() >= ipv6_frag_header_len; }
    std::uint8_t next_header() const { return load8(buffer_, 0); }
    // The field counts 8-byte units; this is in bytes.
    std::size_t offset() const { return std::size_t(load16(buffer_, 2) >> 3) * 8; }
    bool more_fragments() const { return (load16(buffer_, 2) & 1) != 0; }
    std::uint32_t ident() const { return load32(buffer_, 4); }

    void set_next_header(std::uint8_t v) { store8(buffer_, 0, v); }

  private:
    Buffer buffer_;
};

struct Ipv6FragmentRepr {
    std::uint8_t next_header = 0;  // the first header of the fragmentable part
    std::size_t offset = 0;        // bytes, a multiple of 8
    bool more_fragments = false;
    std::uint32_t ident = 0;

    // Offset 0 and no more fragments: a whole packet (RFC 6946: processed on its own,
    // never reassembled with anything).
    bool is_atomic() const { return offset == 0 && !more_fragments; }

    // Malformed when fewer than 8 bytes; the reserved bits are ignored.
    static Parsed<Ipv6FragmentRepr> parse(Bytes header);
    // Writes the 8 bytes, reserved bits zero.
    void emit(MutableBytes out) const;
    bool operator==(const Ipv6FragmentRepr&) const = default;
};

// Offsets below count from the first byte of the IPv6 fixed header: what an ICMPv6 Parameter
// Problem's pointer counts (RFC 4443 3.4) and where reassembly edits the packet.

// A Fragment header met on the walk.
struct Ipv6FragmentAt {
    Ipv6FragmentRepr header{};
    std::size_t header_at = 0;
    // The next header byte that holds 44 and points at the fragment header: the fixed
    // header's (6) or the previous extension header's. Reassembly writes header.next_header
    // there when it removes the fragment header (RFC 8200 4.5).
    std::size_t next_header_at = 0;
    bool operator==(const Ipv6FragmentAt&) const = default;
};

// Where a walk ended.
struct Ipv6Chain {
    // The first next header value that is not an extension header this walk consumes: the
    // upper-layer protocol (TCP, UDP, ICMPv6, or one the caller does not know, which deserves
    // a Parameter Problem code 1 at protocol_at), ipv6_no_next, or, when `fragment` is set,
    // the fragment header's own next header.
    std::uint8_t protocol = 0;
    std::size_t protocol_at = 0;  // the next header byte that holds `protocol`
    std::size_t payload_at = 0;   // the first byte after the walked headers
    // From payload_at to the end of the walked bytes: the upper-layer message, or the
    // fragment's data. Empty after ipv6_no_next (RFC 8200 4.7: what follows is ignored).
    Bytes payload{};
    // Set when the walk stopped at a Fragment header. The rest of the chain is inside the
    // fragmentable part: reassemble (or, for an atomic fragment, continue the walk with
    // walk_ipv6_extensions(payload, protocol, payload_at, protocol_at)).
    std::optional<Ipv6FragmentAt> fragment{};
};

enum class Ipv6ExtError : std::uint8_t {
    truncated,             // a header runs past the packet: dropped silently
    bad_option,            // an option runs past its header: dropped silently
    too_many_headers,      // more than ipv6_max_ext_headers: dropped silently
    hop_by_hop_not_first,  // RFC 8200 4.1, 4: Parameter Problem code 1 at the 0 that named it
    // A Routing header with segments left != 0: a host routes nothing, so every routing type
    // is unrecognized here, type 0 included (RFC 5095 3). Parameter Problem code 0 at the
    // routing type. With segments left == 0 the header is skipped (RFC 8200 4.4).
    routing_type,
    // An unrecognized option in a Hop-by-Hop or Destination Options header, by the top two
    // bits of its type (RFC 8200 4.2); 00 is skipped, so never an error.
    option_discard,               // 01: drop silently
    option_discard_icmp,          // 10: drop, Parameter Problem code 2 at the option type
    option_discard_icmp_unicast,  // 11: the same, unless the destination was multicast
};

struct Ipv6ExtFault {
    Ipv6ExtError error = Ipv6ExtError::truncated;
    std::size_t pointer = 0;  // the offending byte (for Parameter Problem)

    // The ICMPv6 Parameter Problem code to answer with (RFC 4443 3.4), or nullopt to drop
    // silently. Applies RFC 4443 2.4 (e.3): no error to a multicast destination, except for
    // an option of type 10xxxxxx. The caller still applies the rest of 2.4 (e) and rate
    // limiting.
    std::optional<std::uint8_t> parameter_problem_code(bool dst_multicast) const;
};

// Whether the walk consumes a header of this type (Hop-by-Hop, Routing, Fragment,
// Destination Options) rather than stopping at it.
constexpr bool is_walked_ipv6_extension(std::uint8_t next_header) {
    const auto protocol = IpProtocol(next_header);
    return protocol == IpProtocol::hop_by_hop || protocol == IpProtocol::ipv6_dest_opts ||
           protocol == IpProtocol::ipv6_route || protocol == IpProtocol::ipv6_frag;
}

// Where a walk ends at a header that is not walked: `rest` from `header_at` on.
inline Ipv6Chain ipv6_chain_end(Bytes rest, std::uint8_t next_header, std::size_t header_at,
                                std::size_t next_header_at) {
    const bool none = IpProtocol(next_header) == IpProtocol::ipv6_no_next;
    return Ipv6Chain{.protocol = next_header,
                     .protocol_at = next_header_at,
                     .payload_at = header_at,
                     .payload = none ? Bytes{} : rest};
}

// walk_ipv6_extensions's loop, for a chain that starts with a walked header.
std::expected<Ipv6Chain, Ipv6ExtFault> walk_ipv6_extension_headers(Bytes extensions,
                                                                   std::uint8_t next_header,
                                                                   std::size_t base,
                                                                   std::size_t next_header_at);

// Walks the extension headers in `extensions` (the IPv6 payload, payload_len bytes, for a
// fresh packet) whose first header is `next_header`. Hop-by-Hop, Routing and Destination
// Options headers are checked and passed; the walk stops at the upper-layer protocol, at "no
// next header", or at a Fragment header. `base` is the offset of extensions[0] in the packet
// and `next_header_at` that of the byte holding `next_header`; the defaults describe the
// bytes right after the fixed header. Hop-by-Hop is accepted only at offset 40.
// Most packets have none: they end the walk where it starts, without a call.
inline std::expected<Ipv6Chain, Ipv6ExtFault> walk_ipv6_extensions(
    Bytes extensions, std::uint8_t next_header, std::size_t base = ipv6_header_len,
    std::size_t next_header_at = ipv6_field::next_header) {
    if (!is_walked_ipv6_extension(next_header))
        return ipv6_chain_end(extensions, next_header, base, next_header_at);
    return walk_ipv6_extension_headers(extensions, next_header, base, next_header_at);
}

// A router's share of the walk (RFC 8200 4, 4.3): the Hop-by-Hop Options header, when the
// fixed header's `next_header` names one, checked as walk_ipv6_extensions checks it; the
// headers after it are the destination's business and are not looked at. nullopt: forward.
std::optional<Ipv6ExtFault> check_ipv6_hop_by_hop(Bytes extensions, std::uint8_t next_header);

}  // namespace netstack::wire
