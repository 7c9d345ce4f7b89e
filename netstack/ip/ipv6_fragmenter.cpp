#include "ip/ipv6_fragmenter.hpp"

#include <algorithm>

#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"

namespace netstack::ip {

std::vector<std::vector<std::byte>> fragment_ipv6(wire::Bytes packet, std::size_t mtu,
                                                  std::size_t headroom, std::uint32_t ident) {
    using wire::ipv6_frag_header_len;
    using wire::ipv6_header_len;
    std::vector<std::vector<std::byte>> out;
    if (packet.size() < ipv6_header_len || mtu < ipv6_header_len + ipv6_frag_header_len + 8)
        return out;
    const wire::Bytes header = packet.first(ipv6_header_len);
    const wire::Bytes payload = packet.subspan(ipv6_header_len);
    const std::uint8_t next_header = wire::Ipv6View(header).next_header();
    const std::size_t per_fragment = (mtu - ipv6_header_len - ipv6_frag_header_len) / 8 * 8;
    for (std::size_t offset = 0; offset < payload.size(); offset += per_fragment) {
        const std::size_t len = std::min(per_fragment, payload.size() - offset);
        const bool more = offset + len < payload.size();
        std::vector<std::byte> f(headroom + ipv6_header_len + ipv6_frag_header_len + len);
        auto ip = wire::MutableBytes(f).subspan(headroom);
        std::ranges::copy(header, ip.begin());
        wire::Ipv6View view(ip);
        view.set_payload_len(static_cast<std::uint16_t>(ipv6_frag_header_len + len));
        view.set_next_header(std::uint8_t(wire::IpProtocol::ipv6_frag));
        wire::Ipv6FragmentRepr{
            .next_header = next_header, .offset = offset, .more_fragments = more, .ident = ident}
            .emit(ip.subspan(ipv6_header_len, ipv6_frag_header_len));
        std::ranges::copy(
            payload.subspan(offset, len),
            ip.begin() + static_cast<std::ptrdiff_t>(ipv6_header_len + ipv6_frag_header_len));
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace netstack::ip
