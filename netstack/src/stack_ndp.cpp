// Neighbor Discovery (RFC 4861) for a host: solicitations answered for our addresses,
// advertisements learnt into the neighbour cache it shares with ARP, solicitations sent to
// resolve and probe neighbours, and the messages of Duplicate Address Detection (RFC 4862
// 5.4). Router Solicitations and Advertisements go to router discovery
// (stack_router_discovery.cpp as a host, stack_router_advertiser.cpp as a router).
#include "src/stack_impl.hpp"
#include "wire/ndp.hpp"

namespace netstack {

using wire::Icmpv6Type;
using wire::NdpRepr;

namespace {
constexpr std::uint8_t nd_hop_limit = wire::ndp_hop_limit;
}  // namespace

void Stack::Impl::send_nd(link::Interface& iface, const Ipv6Address& src, const Ipv6Address& dst,
                          std::optional<MacAddress> link_dst, const NdpRepr& nd, Instant now) {
    Frame frame = make_frame6(nd.buffer_len());
    nd.emit(wire::MutableBytes(frame).subspan(payload_offset6), src, dst);
    const OutRoute route{.iface = &iface, .next_hop = dst, .src = src, .link_dst = link_dst};
    (void)ipv6_output(route,
                      wire::Ipv6Repr{.dst = dst,
                                     .next_header = std::uint8_t(wire::IpProtocol::icmpv6),
                                     .hop_limit = nd_hop_limit,
                                     .payload_len = nd.buffer_len()},
                      std::move(frame), now);
}

void Stack::Impl::send_neighbour_solicitation(link::Interface& iface, const Ipv6Address& target,
                                              std::optional<MacAddress> unicast, Instant now) {
    // RFC 4861 7.2.2: from an address of the interface (the one traffic to the target would
    // use), with our MAC; to the target's solicited-node group, or to the target itself when
    // probing a cached MAC (NUD, 7.3.3).
    const auto src = iface.source_for6(target);
    if (!src) return;  // no usable address yet (DAD still running): nothing to ask from
    const Ipv6Address dst = unicast ? target : target.solicited_node();
    ++stats.ndp.tx_solicitations;
    send_nd(
        iface, *src, dst, unicast.value_or(dst.multicast_mac()),
        NdpRepr{
            .type = Icmpv6Type::neighbor_solicitation, .target = target, .source_mac = iface.mac},
        now);
}

void Stack::Impl::send_dad_solicitation(link::Interface& iface, const Ipv6Address& address) {
    // RFC 4862 5.4.2: from the unspecified address, without a source link-layer address
    // option, to the solicited-node group of the tentative address.
    const Ipv6Address dst = address.solicited_node();
    ++stats.ndp.tx_solicitations;
    send_nd(iface, Ipv6Address::any(), dst, dst.multicast_mac(),
            NdpRepr{.type = Icmpv6Type::neighbor_solicitation, .target = address}, Instant{});
}

void Stack::Impl::send_unsolicited_na(link::Interface& iface, const Ipv6Address& address) {
    // RFC 4861 7.2.6: to all nodes, not solicited, override set, our MAC as target MAC.
    const Ipv6Address dst = Ipv6Address::all_nodes();
    ++stats.ndp.tx_advertisements;
    send_nd(iface, address, dst, dst.multicast_mac(),
            NdpRepr{.type = Icmpv6Type::neighbor_advertisement,
                    .target = address,
                    .router = config.forwarding,
                    .override = true,
                    .target_mac = iface.mac},
            Instant{});
}

void Stack::Impl::ndp_input(link::Interface& iface, const InboundPacket& in, std::uint8_t hop_limit,
                            const wire::Icmpv6Repr& icmp, Instant now) {
    auto nd = NdpRepr::parse(icmp);
    const wire::Ipv6Repr ip{.src = in.src.v6(), .dst = in.dst.v6(), .hop_limit = hop_limit};
    if (!nd || !wire::validate_nd(ip, *nd)) {
        ++stats.ndp.drop_invalid;
        return;
    }
    switch (nd->type) {
        case Icmpv6Type::neighbor_solicitation:
            ++stats.ndp.rx_solicitations;
            return neighbour_solicitation_input(iface, ip, *nd, now);
        case Icmpv6Type::neighbor_advertisement:
            ++stats.ndp.rx_advertisements;
            return neighbour_advertisement_input(iface, *nd, now);
        case Icmpv6Type::router_solicitation:
            ++stats.ndp.rx_router_solicitations;
            return router_solicitation_input(iface, ip.src, *nd, now);
        case Icmpv6Type::router_advertisement:
            ++stats.ndp.rx_router_advertisements;
            return router_advertisement_input(iface, ip.src, *nd, now);
        default:
            return;  // Redirect (RFC 4861 8): not parsed, a host may ignore it
    }
}

void Stack::Impl::learn_neighbour6(link::Interface& iface, const Ipv6Address& src, MacAddress mac,
                                   std::optional<bool> is_router, Instant now) {
    ready_frames.clear();
    neighbours.update(iface.id, src, mac, false, true, now, ready_frames, is_router);
    for (Frame& f : ready_frames)
        transmit(iface, f, mac, wire::EtherType::ipv6);
    ready_frames.clear();
}

void Stack::Impl::neighbour_solicitation_input(link::Interface& iface, const wire::Ipv6Repr& ip,
                                               const NdpRepr& ns, Instant now) {
    const auto* target = iface.find_address6(ns.target);
    const bool from_dad = ip.src.is_any();
    if (target && target->state == Ipv6AddressState::tentative) {
        // RFC 4862 5.4.3: another node runs DAD for the address we are probing: both lose.
        // A solicitation from a unicast source is someone resolving it: not answered yet.
        if (from_dad) dad_conflict(iface, ns.target);
        return;
    }
    // RFC 4861 7.2.3: learn the sender (stale: not a proof of reachability), in every shard.
    if (!from_dad && ns.source_mac)
        learn_neighbour6(iface, ip.src, *ns.source_mac, std::nullopt, now);
    if (!target || !iface.has_address6(ns.target)) {
        ++stats.ndp.drop_not_for_us;
        return;
    }
    if (!is_shard_zero()) return;  // shard 0 answers for the stack, as for ARP
    // RFC 4861 7.2.4: solicited, to the sender; a DAD probe (from ::) is answered to all
    // nodes, not solicited (RFC 4862 5.4.3: the prober sees the address is taken).
    const Ipv6Address dst = from_dad ? Ipv6Address::all_nodes() : ip.src;
    std::optional<MacAddress> link_dst = ns.source_mac;
    if (from_dad) link_dst = dst.multicast_mac();
    const NdpRepr na{.type = Icmpv6Type::neighbor_advertisement,
                     .target = ns.target,
                     .router = config.forwarding,
                     .solicited = !from_dad,
                     .override = true,
                     .target_mac = iface.mac};
    ++stats.ndp.tx_advertisements;
    // Without a source link-layer address (RFC 4861 7.2.4 allows it on a unicast
    // solicitation) the answer resolves the sender first.
    send_nd(iface, ns.target, dst, link_dst, na, now);
}

void Stack::Impl::neighbour_advertisement_input(link::Interface& iface, const NdpRepr& na,
                                                Instant now) {
    if (const auto* ours = iface.find_address6(na.target)) {
        // RFC 4862 5.4.4: an advertisement for a tentative address: it is taken. For one in
        // use, someone else claims it too: counted (RFC 4862 5.4.5 leaves the rest to us).
        if (ours->state == Ipv6AddressState::tentative)
            dad_conflict(iface, na.target);
        else
            ++stats.ndp.address_conflicts;
        return;
    }
    // RFC 4861 7.2.5 (link/neighbour_cache.hpp): only an entry we have is updated; a
    // solicited answer confirms reachability, the Override flag decides about a new MAC.
    ready_frames.clear();
    const auto result = neighbours.advertised(iface.id, na.target,
                                              {.mac = na.target_mac,
                                               .router = na.router,
                                               .solicited = na.solicited,
                                               .override_mac = na.override},
                                              now, ready_frames);
    if (result == link::NeighbourCache::Advertised::router_lost) router_lost(iface, na.target);
    if (na.target_mac)
        for (Frame& f : ready_frames)
            transmit(iface, f, *na.target_mac, wire::EtherType::ipv6);
    ready_frames.clear();
}

}  // namespace netstack
