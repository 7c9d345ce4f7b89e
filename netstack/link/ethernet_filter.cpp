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
    // IPv6 multicast (33:33:...) to a group nobody here joined: the bus carries every
    // frame to everyone; a NIC's multicast filter would have dropped this one.
    if (!to_us && !iface.promiscuous && header->dst.bytes[0] == 0x33 &&
        header->dst.bytes[1] == 0x33 && !iface.listens_to(header->dst))
        return FrameVerdict::drop_not_for_us;
    if (header->vlan_tci && iface.vlan == VlanPolicy::drop) return FrameVerdict::drop_vlan;
    out.header = *header;
    out.payload = frame.subspan(header->buffer_len());
    out.unicast_to_us = to_us;
    return FrameVerdict::accept;
}

}  // namespace netstack::link
