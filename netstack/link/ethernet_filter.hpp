// Which received frames an interface keeps (IEEE 802.3 address filtering plus our rules for a
// shared bus). Pure decision: the caller counts the verdict and drops.
#pragma once

#include <span>

#include "link/interface.hpp"
#include "wire/ethernet.hpp"

namespace netstack::link {

enum class FrameVerdict : std::uint8_t {
    accept,
    drop_short,
    drop_not_for_us,
    drop_own_source,
    drop_vlan,
};

struct AcceptedFrame {
    wire::EthernetRepr header;
    wire::Bytes payload;
    bool unicast_to_us = false;  // to our MAC (not broadcast/multicast/promiscuous catch)
};

// `own_macs`: the MACs of every interface of this stack. On a shared bus all shards of a
// daemon send with the same MAC and every shard reads every frame, so a frame from one of our
// MACs is our own (or a sibling shard's) and must not be processed again; except on a
// loopback interface, where every frame is one of ours, sent to be received.
FrameVerdict filter_frame(const Interface& iface, std::span<const MacAddress> own_macs,
                          wire::Bytes frame, AcceptedFrame& out);

}  // namespace netstack::link
