#include "link/ethernet_filter.hpp"

#include <algorithm>

namespace netstack::link {

FrameVerdict filter_frame(const Interface& iface, std::span<const MacAddress> own_macs,
                          wire::Bytes frame, AcceptedFrame& out) {
    auto header = wire::EthernetRepr::parse(frame);
    if (!header) return FrameVerdict::drop_short;
    // On a loopback interface every frame is from us: that is what it is for.
    if (!iface.loopback && std::ranges::find(own_macs, header->src) != own_macs.end())
        return FrameVerdict::drop_own_source;
    const bool to_us = header->dst == iface.mac;
    // Broadcast and multicast frames are taken; IP decides whether any group is ours.
    if (!to_us && !header->dst.is_multicast() && !iface.promiscuous)
        return FrameVerdict::drop_not_for_us;
    if (header->vlan_tci && iface.vlan == VlanPolicy::drop) return FrameVerdict::drop_vlan;
    out.header = *header;
    out.payload = frame.subspan(header->buffer_len());
    out.unicast_to_us = to_us;
    return FrameVerdict::accept;
}

}  // namespace netstack::link
