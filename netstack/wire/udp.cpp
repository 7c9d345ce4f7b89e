#include "wire/udp.hpp"

#include <algorithm>
#include <cstring>

#include "wire/checksum.hpp"
#include "wire/ip_protocol.hpp"

namespace netstack::wire {

std::expected<UdpRepr, UdpError> UdpRepr::parse(Bytes segment, const IpAddress& src,
                                                const IpAddress& dst) {
    if (segment.size() < udp_header_len) return std::unexpected(UdpError::short_header);
    const std::uint16_t length = load16(segment, 4);
    if (length < udp_header_len || length > segment.size())
        return std::unexpected(UdpError::bad_length);
    const Bytes datagram = segment.first(length);
    // RFC 768: zero is "no checksum"; RFC 8200 8.1: IPv6 has no such escape.
    const bool unchecked = load16(segment, 6) == 0;
    if (unchecked && !(src.is_v4() && dst.is_v4())) return std::unexpected(UdpError::bad_checksum);
    if (!unchecked &&
        pseudo_header(src, dst, std::uint8_t(IpProtocol::udp), length).add(datagram).sum() !=
            0xffff)
        return std::unexpected(UdpError::bad_checksum);
    return UdpRepr{.src_port = load16(segment, 0),
                   .dst_port = load16(segment, 2),
                   .payload = datagram.subspan(udp_header_len)};
}

void UdpRepr::emit(MutableBytes out, const IpAddress& src, const IpAddress& dst) const {
    const auto length = static_cast<std::uint16_t>(buffer_len());
    store16(out, 0, src_port);
    store16(out, 2, dst_port);
    store16(out, 4, length);
    store16(out, 6, 0);
    if (!payload.empty()) std::memmove(out.data() + udp_header_len, payload.data(), payload.size());
    std::uint16_t sum = pseudo_header(src, dst, std::uint8_t(IpProtocol::udp), length)
                            .add(out.first(length))
                            .finish();
    store16(out, 6, sum == 0 ? 0xffff : sum);  // RFC 768: zero is "no checksum"
}

}  // namespace netstack::wire
