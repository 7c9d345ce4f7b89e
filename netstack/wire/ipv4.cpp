#include "wire/ipv4.hpp"

#include <algorithm>

#include "wire/checksum.hpp"

namespace netstack::wire {

std::expected<Ipv4Repr, Ipv4Error> Ipv4Repr::parse(Bytes packet) {
    Ipv4View view(packet);
    if (!view.check_len()) return std::unexpected(Ipv4Error::short_header);
    if (view.version() != 4) return std::unexpected(Ipv4Error::bad_version);
    const std::size_t header_len = view.header_len();
    if (header_len < ipv4_min_header_len || header_len > packet.size())
        return std::unexpected(Ipv4Error::bad_header_len);
    const std::size_t total_len = view.total_len();
    if (total_len < header_len || total_len > packet.size())
        return std::unexpected(Ipv4Error::bad_total_len);
    if (!checksum_ok(view.header())) return std::unexpected(Ipv4Error::bad_checksum);
    return Ipv4Repr{.src = view.src(),
                    .dst = view.dst(),
                    .protocol = view.protocol(),
                    .ttl = view.ttl(),
                    .tos = view.tos(),
                    .ident = view.ident(),
                    .dont_fragment = view.dont_fragment(),
                    .more_fragments = view.more_fragments(),
                    .frag_offset = view.frag_offset(),
                    .payload_len = total_len - header_len};
}

void Ipv4Repr::emit(MutableBytes packet, Bytes options) const {
    const std::size_t header_len = ipv4_min_header_len + options.size();
    store8(packet, ipv4_field::ver_ihl, static_cast<std::uint8_t>(0x40 | header_len / 4));
    store8(packet, ipv4_field::tos, tos);
    store16(packet, ipv4_field::total_len, static_cast<std::uint16_t>(header_len + payload_len));
    store16(packet, ipv4_field::ident, ident);
    Ipv4View view(packet);
    view.set_flags_frag(dont_fragment, more_fragments, frag_offset);
    store8(packet, ipv4_field::ttl, ttl);
    store8(packet, ipv4_field::protocol, protocol);
    store32(packet, ipv4_field::src, src.value);
    store32(packet, ipv4_field::dst, dst.value);
    std::ranges::copy(options, packet.begin() + ipv4_min_header_len);
    view.fill_checksum();
}

}  // namespace netstack::wire
