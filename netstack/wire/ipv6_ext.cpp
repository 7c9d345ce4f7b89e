#include "wire/ipv6_ext.hpp"

namespace netstack::wire {

namespace {

std::unexpected<Ipv6ExtFault> fault(Ipv6ExtError error, std::size_t pointer) {
    return std::unexpected(Ipv6ExtFault{.error = error, .pointer = pointer});
}

// The options of a Hop-by-Hop or Destination Options header (RFC 8200 4.2). Pad1 and PadN
// are the only ones a host knows; any other is unrecognized and handled by its type's top
// two bits.
std::optional<Ipv6ExtFault> check_options(Bytes header, std::size_t header_at) {
    std::size_t at = 2;
    while (at < header.size()) {
        const std::uint8_t type = load8(header, at);
        if (type == ipv6_option::pad1) {
            ++at;
            continue;
        }
        if (header.size() - at < 2 || header.size() - at - 2 < load8(header, at + 1))
            return Ipv6ExtFault{.error = Ipv6ExtError::bad_option, .pointer = header_at + at};
        if (type != ipv6_option::padn) {
            constexpr Ipv6ExtError by_action[] = {
                Ipv6ExtError::option_discard,  // unused: 00 is skipped
                Ipv6ExtError::option_discard,
                Ipv6ExtError::option_discard_icmp,
                Ipv6ExtError::option_discard_icmp_unicast,
            };
            if (const unsigned action = type >> 6; action != 0)
                return Ipv6ExtFault{.error = by_action[action], .pointer = header_at + at};
        }
        at += 2 + std::size_t{load8(header, at + 1)};
    }
    return std::nullopt;
}

// A Hop-by-Hop, Destination Options or Routing header at the start of `rest` (they share the
// length rule, RFC 8200 4.3): its bytes, or a fault when it runs past the packet.
std::expected<Bytes, Ipv6ExtFault> length_prefixed_header(Bytes rest, std::size_t header_at) {
    if (rest.size() < 2) return fault(Ipv6ExtError::truncated, header_at);
    const std::size_t len = (std::size_t{load8(rest, 1)} + 1) * 8;
    if (len > rest.size()) return fault(Ipv6ExtError::truncated, header_at);
    return rest.first(len);
}

}  // namespace

Parsed<Ipv6FragmentRepr> Ipv6FragmentRepr::parse(Bytes header) {
    Ipv6FragmentView view(header);
    if (!view.check_len()) return malformed();
    return Ipv6FragmentRepr{.next_header = view.next_header(),
                            .offset = view.offset(),
                            .more_fragments = view.more_fragments(),
                            .ident = view.ident()};
}

void Ipv6FragmentRepr::emit(MutableBytes out) const {
    store8(out, 0, next_header);
    store8(out, 1, 0);
    store16(out, 2, static_cast<std::uint16_t>((offset / 8) << 3 | (more_fragments ? 1 : 0)));
    store32(out, 4, ident);
}

std::optional<std::uint8_t> Ipv6ExtFault::parameter_problem_code(bool dst_multicast) const {
    switch (error) {
        case Ipv6ExtError::hop_by_hop_not_first:
            if (!dst_multicast) return 1;
            break;
        case Ipv6ExtError::routing_type:
            if (!dst_multicast) return 0;
            break;
        case Ipv6ExtError::option_discard_icmp:
            return 2;
        case Ipv6ExtError::option_discard_icmp_unicast:
            if (!dst_multicast) return 2;
            break;
        case Ipv6ExtError::truncated:
        case Ipv6ExtError::bad_option:
        case Ipv6ExtError::too_many_headers:
        case Ipv6ExtError::option_discard:
            break;
    }
    return std::nullopt;
}

std::expected<Ipv6Chain, Ipv6ExtFault> walk_ipv6_extension_headers(Bytes extensions,
                                                                   std::uint8_t next_header,
                                                                   std::size_t base,
                                                                   std::size_t next_header_at) {
    std::size_t at = 0;  // in `extensions`
    for (std::size_t count = 0;; ++count) {
        const std::size_t header_at = base + at;
        const Bytes rest = extensions.subspan(at);
        const auto protocol = IpProtocol(next_header);
        if (!is_walked_ipv6_extension(next_header))
            return ipv6_chain_end(rest, next_header, header_at, next_header_at);
        if (protocol == IpProtocol::hop_by_hop && header_at != ipv6_header_len)
            return fault(Ipv6ExtError::hop_by_hop_not_first, next_header_at);
        if (count == ipv6_max_ext_headers) return fault(Ipv6ExtError::too_many_headers, header_at);

        if (protocol == IpProtocol::ipv6_frag) {
            auto fragment = Ipv6FragmentRepr::parse(rest);
            if (!fragment) return fault(Ipv6ExtError::truncated, header_at);
            return Ipv6Chain{
                .protocol = fragment->next_header,
                .protocol_at = header_at,
                .payload_at = header_at + ipv6_frag_header_len,
                .payload = rest.subspan(ipv6_frag_header_len),
                .fragment = Ipv6FragmentAt{.header = *fragment,
                                           .header_at = header_at,
                                           .next_header_at = next_header_at},
            };
        }

        const auto header = length_prefixed_header(rest, header_at);
        if (!header) return std::unexpected(header.error());
        if (protocol == IpProtocol::ipv6_route) {
            if (load8(*header, 3) != 0) return fault(Ipv6ExtError::routing_type, header_at + 2);
        } else if (auto bad = check_options(*header, header_at)) {
            return std::unexpected(*bad);
        }
        next_header = load8(*header, 0);
        next_header_at = header_at;
        at += header->size();
    }
}

std::optional<Ipv6ExtFault> check_ipv6_hop_by_hop(Bytes extensions, std::uint8_t next_header) {
    if (IpProtocol(next_header) != IpProtocol::hop_by_hop) return std::nullopt;
    const auto header = length_prefixed_header(extensions, ipv6_header_len);
    if (!header) return header.error();
    return check_options(*header, ipv6_header_len);
}

}  // namespace netstack::wire
