#include "wire/icmpv6.hpp"

#include "wire/checksum.hpp"
#include "wire/ip_protocol.hpp"

namespace netstack::wire {

namespace {

Checksum icmpv6_pseudo_header(const Ipv6Address& src, const Ipv6Address& dst, std::size_t length) {
    return pseudo_header(src, dst, std::uint8_t(IpProtocol::icmpv6),
                         static_cast<std::uint32_t>(length));
}

}  // namespace

std::expected<Icmpv6Repr, Icmpv6Error> Icmpv6Repr::parse(Bytes message, const Ipv6Address& src,
                                                         const Ipv6Address& dst) {
    if (message.size() < icmpv6_header_len) return std::unexpected(Icmpv6Error::short_header);
    if (icmpv6_pseudo_header(src, dst, message.size()).add(message).sum() != 0xffff)
        return std::unexpected(Icmpv6Error::bad_checksum);
    return Icmpv6Repr{.type = load8(message, 0),
                      .code = load8(message, 1),
                      .rest = load32(message, 4),
                      .data = message.subspan(icmpv6_header_len)};
}

void Icmpv6Repr::emit(MutableBytes out, const Ipv6Address& src, const Ipv6Address& dst) const {
    store8(out, 0, type);
    store8(out, 1, code);
    store32(out, 4, rest);
    store_bytes(out, icmpv6_header_len, data);
    fill_icmpv6_checksum(out.first(buffer_len()), src, dst);
}

void fill_icmpv6_checksum(MutableBytes message, const Ipv6Address& src, const Ipv6Address& dst) {
    store16(message, 2, 0);
    store16(message, 2, icmpv6_pseudo_header(src, dst, message.size()).add(message).finish());
}

}  // namespace netstack::wire
