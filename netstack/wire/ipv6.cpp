#include "wire/ipv6.hpp"

namespace netstack::wire {

std::expected<Ipv6Repr, Ipv6Error> Ipv6Repr::parse(Bytes packet) {
    Ipv6View view(packet);
    if (!view.check_len()) return std::unexpected(Ipv6Error::short_header);
    if (view.version() != 6) return std::unexpected(Ipv6Error::bad_version);
    const std::size_t payload_len = view.payload_len();
    if (payload_len > packet.size() - ipv6_header_len)
        return std::unexpected(Ipv6Error::bad_payload_len);
    return Ipv6Repr{.src = view.src(),
                    .dst = view.dst(),
                    .next_header = view.next_header(),
                    .hop_limit = view.hop_limit(),
                    .payload_len = payload_len,
                    .traffic_class = view.traffic_class(),
                    .flow_label = view.flow_label()};
}

void Ipv6Repr::emit(MutableBytes packet) const {
    Ipv6View view(packet);
    view.set_version_tc_flow(traffic_class, flow_label);
    view.set_payload_len(static_cast<std::uint16_t>(payload_len));
    view.set_next_header(next_header);
    view.set_hop_limit(hop_limit);
    view.set_src(src);
    view.set_dst(dst);
}

}  // namespace netstack::wire
