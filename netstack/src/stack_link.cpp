// The link layer: Ethernet filtering and dispatch, ARP (RFC 826), and neighbour resolution
// on the way out.
#include <algorithm>

#include "src/stack_impl.hpp"

namespace netstack {

using link::FrameVerdict;
using wire::ArpOperation;
using wire::ArpRepr;
using wire::Bytes;
using wire::EtherType;

namespace {
// Counts on the interface and in the stack's total at once.
void count(StackStats& stats, link::Interface& iface, std::uint64_t EthernetStats::*field,
           std::uint64_t n = 1) {
    stats.ethernet.*field += n;
    iface.stats.*field += n;
}
}  // namespace

void Stack::Impl::ethernet_input(link::Interface& iface, Bytes frame, Instant now) {
    count(stats, iface, &EthernetStats::rx_frames);
    count(stats, iface, &EthernetStats::rx_bytes, frame.size());
    if (!iface.up) return count(stats, iface, &EthernetStats::drop_interface_down);

    link::AcceptedFrame accepted;
    switch (link::filter_frame(iface, own_macs, frame, accepted)) {
        case FrameVerdict::accept:
            break;
        case FrameVerdict::drop_short:
            return count(stats, iface, &EthernetStats::drop_short);
        case FrameVerdict::drop_not_for_us:
            return count(stats, iface, &EthernetStats::drop_not_for_us);
        case FrameVerdict::drop_own_source:
            return count(stats, iface, &EthernetStats::drop_own_source);
        case FrameVerdict::drop_vlan:
            return count(stats, iface, &EthernetStats::drop_vlan);
    }
    switch (EtherType(accepted.header.ethertype)) {
        case EtherType::ipv4:
            return ipv4_input(iface, accepted, now);
        case EtherType::arp:
            return arp_input(iface, accepted.payload, now);
        default:
            return count(stats, iface, &EthernetStats::drop_unknown_ethertype);
    }
}

void Stack::Impl::arp_input(link::Interface& iface, Bytes packet, Instant now) {
    auto arp = ArpRepr::parse(packet);
    if (!arp) {
        ++stats.arp.drop_malformed;
        return;
    }
    const bool request = arp->operation == ArpOperation::request;
    ++(request ? stats.arp.rx_requests : stats.arp.rx_replies);
    if (arp->sender_mac.is_multicast() || arp->sender_mac.is_zero() ||
        is_local_address(arp->sender_ip)) {
        // A group or empty hardware address is never a neighbour; a sender claiming one of
        // our addresses is a conflict we must not learn from.
        ++stats.arp.drop_bad_sender;
        return;
    }
    const bool target_is_ours = iface.has_address(arp->target_ip);
    // RFC 826 "Packet Reception": merge the sender into an existing entry; add a new one
    // only when we are the target. Every shard learns; a sender of 0.0.0.0 (an RFC 5227
    // probe) teaches nothing.
    if (!arp->sender_ip.is_any()) {
        ready_frames.clear();
        neighbours.update(iface.id, arp->sender_ip, arp->sender_mac, target_is_ours, now,
                          ready_frames);
        for (Frame& f : ready_frames)
            transmit(iface, f, arp->sender_mac, EtherType::ipv4);
        ready_frames.clear();
    }
    if (!request) return;
    if (!target_is_ours) {
        ++stats.arp.drop_not_for_us;
        return;
    }
    if (!is_shard_zero()) return;  // shard 0 answers for the stack (see stack.hpp)
    // RFC 826: swap sender and target, fill in our hardware address, opcode reply.
    send_arp(iface, ArpOperation::reply, arp->sender_mac, arp->sender_mac, arp->sender_ip,
             arp->target_ip);
    ++stats.arp.tx_replies;
}

void Stack::Impl::send_arp(link::Interface& iface, ArpOperation op, MacAddress link_dst,
                           MacAddress target_mac, Ipv4Address target_ip, Ipv4Address sender_ip) {
    std::array<std::byte, link_headroom + ArpRepr::buffer_len()> frame{};
    ArpRepr{.operation = op,
            .sender_mac = iface.mac,
            .sender_ip = sender_ip,
            .target_mac = target_mac,
            .target_ip = target_ip}
        .emit(std::span(frame).subspan(link_headroom));
    transmit(iface, frame, link_dst, EtherType::arp);
}

void Stack::Impl::send_arp_request(link::Interface& iface, Ipv4Address target,
                                   MacAddress link_dst) {
    const Ipv4Address sender = iface.source_for(target).value_or(Ipv4Address::any());
    send_arp(iface, ArpOperation::request, link_dst, MacAddress{}, target, sender);
    ++stats.arp.tx_requests;
}

void Stack::Impl::send_gratuitous_arp(link::Interface& iface, Ipv4Address address) {
    // A request for our own address (RFC 5227 3 "ARP announcement"): others update caches.
    send_arp(iface, ArpOperation::request, MacAddress::broadcast(), MacAddress{}, address, address);
    ++stats.arp.tx_gratuitous;
}

void Stack::Impl::link_output(link::Interface& iface, Ipv4Address next_hop,
                              std::optional<MacAddress> link_dst, Frame&& frame, Instant now) {
    if (link_dst) return transmit(iface, frame, *link_dst, EtherType::ipv4);
    auto found = neighbours.lookup(iface.id, next_hop, now);
    if (found.mac) {
        transmit(iface, frame, *found.mac, EtherType::ipv4);
        if (found.probe) send_arp_request(iface, next_hop, *found.mac);  // re-confirm a stale entry
        return;
    }
    if (neighbours.enqueue(iface.id, next_hop, std::move(frame), now) ==
        link::NeighbourCache::Enqueued::queued_new)
        send_arp_request(iface, next_hop, MacAddress::broadcast());
}

void Stack::Impl::transmit(link::Interface& iface, std::span<std::byte> frame, MacAddress dst,
                           EtherType type) {
    if (!iface.up || !iface.device) return count(stats, iface, &EthernetStats::tx_dropped);
    wire::EthernetRepr{.dst = dst, .src = iface.mac, .ethertype = std::uint16_t(type)}.emit(frame);
    iface.tx_pending = true;
    if (iface.device->transmit(frame) == TxStatus::dropped)
        return count(stats, iface, &EthernetStats::tx_dropped);
    count(stats, iface, &EthernetStats::tx_frames);
    count(stats, iface, &EthernetStats::tx_bytes, frame.size());
}

void Stack::Impl::flush_devices() {
    for (auto& iface : interfaces) {
        if (!iface || !iface->tx_pending) continue;
        iface->tx_pending = false;
        iface->device->flush();
    }
}

}  // namespace netstack
