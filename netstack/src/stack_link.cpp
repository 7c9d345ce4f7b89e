// The link layer: Ethernet filtering and dispatch, ARP (RFC 826), neighbour resolution on the
// way out (with NUD, link/neighbour_cache.hpp), and address conflict detection (RFC 5227).
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
            return arp_input(iface, accepted.payload, accepted.unicast_to_us, now);
        case EtherType::ipv6:
            if (!config.ipv6.enabled) break;
            return ipv6_input(iface, accepted, now);
        default:
            break;
    }
    count(stats, iface, &EthernetStats::drop_unknown_ethertype);
}

void Stack::Impl::arp_input(link::Interface& iface, Bytes packet, bool unicast_to_us, Instant now) {
    auto arp = ArpRepr::parse(packet);
    if (!arp) {
        ++stats.arp.drop_malformed;
        return;
    }
    const bool request = arp->operation == ArpOperation::request;
    ++(request ? stats.arp.rx_requests : stats.arp.rx_replies);
    if (arp->sender_mac.is_multicast() || arp->sender_mac.is_zero()) {
        // A group or empty hardware address is never a neighbour.
        ++stats.arp.drop_bad_sender;
        return;
    }
    const bool from_us = std::ranges::find(own_macs, arp->sender_mac) != own_macs.end();
    if (!address_probes.empty() && !from_us) check_address_probes(iface, *arp);
    if (is_local_address(arp->sender_ip)) {
        // A sender claiming one of our addresses is never learnt; from another MAC, on the
        // interface that holds it, it is a conflict (RFC 5227 2.4).
        if (!from_us && iface.has_address(arp->sender_ip) && is_shard_zero())
            address_conflict(iface, arp->sender_ip, arp->sender_mac, now);
        else
            ++stats.arp.drop_bad_sender;
        return;
    }
    const bool target_is_ours = iface.has_address(arp->target_ip);
    // RFC 826 "Packet Reception": merge the sender into an existing entry; add a new one
    // only when we are the target. Every shard learns; a sender of 0.0.0.0 (an RFC 5227
    // probe) teaches nothing. Only a reply sent to our MAC confirms reachability (NUD).
    if (!arp->sender_ip.is_any()) {
        ready_frames.clear();
        neighbours.update(iface.id, arp->sender_ip, arp->sender_mac, !request && unicast_to_us,
                          target_is_ours, now, ready_frames);
        for (Frame& f : ready_frames)
            transmit(iface, f, arp->sender_mac, EtherType::ipv4);  // ARP keys are IPv4
        ready_frames.clear();
    }
    if (!request) return;
    if (!target_is_ours) {
        ++stats.arp.drop_not_for_us;
        return;
    }
    if (!is_shard_zero()) return;  // shard 0 answers for the stack (see stack.hpp)
    // RFC 826: swap sender and target, fill in our hardware address, opcode reply. A probe
    // (sender 0.0.0.0) gets its answer the same way: the prober sees our address in use.
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

void Stack::Impl::link_output(link::Interface& iface, const IpAddress& next_hop,
                              std::optional<MacAddress> link_dst, Frame&& frame, Instant now) {
    const EtherType type = next_hop.is_v4() ? EtherType::ipv4 : EtherType::ipv6;
    if (iface.bypass && bypass_link(iface, frame, type)) return;
    if (link_dst) return transmit(iface, frame, *link_dst, type);
    // A loopback link has no neighbours: every packet goes to its own MAC, no ARP.
    if (iface.loopback) return transmit(iface, frame, iface.mac, type);
    // Reachable, stale, delay and probe entries all carry traffic; using a stale one starts
    // its delay (NUD, see link/neighbour_cache.hpp), and poll() sends the probes.
    if (auto mac = neighbours.lookup(iface.id, next_hop, now))
        return transmit(iface, frame, *mac, type);
    if (neighbours.enqueue(iface.id, next_hop, std::move(frame), now) ==
        link::NeighbourCache::Enqueued::queued_new)
        send_resolution(iface, next_hop, std::nullopt, now);
}

void Stack::Impl::send_resolution(link::Interface& iface, const IpAddress& target,
                                  std::optional<MacAddress> unicast, Instant now) {
    if (target.is_v4())
        return send_arp_request(iface, target.v4(), unicast.value_or(MacAddress::broadcast()));
    send_neighbour_solicitation(iface, target.v6(), unicast, now);
}

// --- neighbour confirmation ------------------------------------------------------------------

void Stack::Impl::confirm_destination(const IpAddress& dst, Instant now) {
    if (dst.is_v4()) {
        const auto route = lookup_route(dst.v4());
        if (route) neighbours.confirm(route->interface, route->gateway.value_or(dst.v4()), now);
        return;
    }
    const auto route = lookup_route6(dst.v6());
    if (route) neighbours.confirm(route->interface, route->gateway.value_or(dst.v6()), now);
}

bool Stack::confirm_neighbour(InterfaceId id, Ipv4Address neighbour, Instant now) {
    return impl_->neighbours.confirm(id, neighbour, now);
}

// --- address conflict detection (RFC 5227) ---------------------------------------------------

namespace {
constexpr std::size_t max_address_probes = 64;
constexpr std::size_t max_address_conflicts = 64;
}  // namespace

void Stack::Impl::send_address_probe(link::Interface& iface, Ipv4Address address) {
    // RFC 5227 2.1.1: sender IP 0.0.0.0 (caches learn nothing), target MAC zero.
    send_arp(iface, ArpOperation::request, MacAddress::broadcast(), MacAddress{}, address,
             Ipv4Address::any());
    ++stats.arp.tx_address_probes;
}

Instant Stack::Impl::address_probe_due(Instant started, std::uint32_t i) const {
    const std::uint32_t count = std::max<std::uint32_t>(config.arp.probe_count, 1);
    return started + config.arp.probe_wait * i / count;
}

const Stack::Impl::AddressProbe* Stack::Impl::find_address_probe(InterfaceId iface,
                                                                 Ipv4Address address) const {
    for (auto& p : address_probes)
        if (p.iface == iface && p.address == address) return &p;
    return nullptr;
}

void Stack::Impl::poll_address_probes(Instant now) {
    const std::uint32_t count = std::max<std::uint32_t>(config.arp.probe_count, 1);
    for (auto& p : address_probes) {
        auto* iface = find(p.iface);
        while (iface && !p.conflict && p.sent < count &&
               address_probe_due(p.started, p.sent) <= now) {
            send_address_probe(*iface, p.address);
            ++p.sent;
        }
    }
}

std::optional<Instant> Stack::Impl::address_probes_next() const {
    const std::uint32_t count = std::max<std::uint32_t>(config.arp.probe_count, 1);
    std::optional<Instant> next;
    for (const auto& p : address_probes) {
        if (p.conflict || p.sent >= count) continue;
        const auto due = address_probe_due(p.started, p.sent);
        if (!next || due < *next) next = due;
    }
    return next;
}

void Stack::Impl::check_address_probes(link::Interface& iface, const ArpRepr& arp) {
    for (auto& p : address_probes) {
        if (p.iface != iface.id || p.conflict) continue;
        // RFC 5227 2.1.1: any ARP packet with the address as sender, or another host's probe
        // for it (sender 0.0.0.0, target the address).
        const bool in_use = arp.sender_ip == p.address;
        const bool probed_too = arp.operation == ArpOperation::request && arp.sender_ip.is_any() &&
                                arp.target_ip == p.address;
        if (in_use || probed_too) p.conflict = arp.sender_mac;
    }
}

void Stack::Impl::address_conflict(link::Interface& iface, Ipv4Address address, MacAddress mac,
                                   Instant now) {
    ++stats.arp.address_conflicts;
    // RFC 5227 2.4 (b): defend with one announcement, unless we did within DEFEND_INTERVAL;
    // the address stays ours either way.
    bool defended = false;
    auto [it, fresh] = last_defence.try_emplace({iface.id, address}, now);
    if (fresh || now - it->second >= config.arp.defend_interval) {
        it->second = now;
        send_gratuitous_arp(iface, address);
        ++stats.arp.tx_defences;
        defended = true;
    }
    if (address_conflicts.size() >= max_address_conflicts) address_conflicts.pop_front();
    address_conflicts.push_back(
        {.interface = iface.id, .address = address, .mac = mac, .when = now, .defended = defended});
}

void Stack::Impl::forget_address(InterfaceId iface, std::optional<Ipv4Address> address) {
    auto matches = [&](InterfaceId i, Ipv4Address a) {
        return i == iface && (!address || a == *address);
    };
    std::erase_if(address_probes,
                  [&](const AddressProbe& p) { return matches(p.iface, p.address); });
    std::erase_if(last_defence, [&](const auto& entry) {
        return matches(entry.first.first, entry.first.second);
    });
}

std::expected<void, ConfigError> Stack::probe_address(InterfaceId id, Ipv4Address address,
                                                      Instant now) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    // Nobody else is on a loopback link: nothing to probe for there.
    if (address.is_any() || address.is_broadcast() || address.is_multicast() ||
        address.is_loopback() || iface->loopback)
        return std::unexpected(ConfigError::invalid);
    if (s.is_local_address(address)) return std::unexpected(ConfigError::exists);
    s.forget_address(id, address);  // a probe again starts over
    if (s.address_probes.size() >= max_address_probes)
        s.address_probes.erase(s.address_probes.begin());
    s.address_probes.push_back({.iface = id, .address = address, .started = now});
    s.poll_address_probes(now);  // the first probe goes now
    s.flush_devices();
    return {};
}

std::optional<AddressProbeStatus> Stack::address_probe(InterfaceId id, Ipv4Address address,
                                                       Instant now) const {
    const auto* p = impl_->find_address_probe(id, address);
    if (!p) return std::nullopt;
    return AddressProbeStatus{
        .finished = p->conflict || now >= p->started + impl_->config.arp.probe_wait,
        .conflict = p->conflict};
}

void Stack::end_probe(InterfaceId id, Ipv4Address address) {
    std::erase_if(impl_->address_probes, [&](const Impl::AddressProbe& p) {
        return p.iface == id && p.address == address;
    });
}

void Stack::take_address_conflicts(std::vector<AddressConflict>& out) {
    out.assign(impl_->address_conflicts.begin(), impl_->address_conflicts.end());
    impl_->address_conflicts.clear();
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

bool Stack::Impl::bypass_link(link::Interface& iface, Frame& frame, EtherType type) {
    if (!iface.up || !iface.device) return false;
    wire::EthernetRepr{.dst = iface.mac, .src = iface.mac, .ethertype = std::uint16_t(type)}.emit(
        frame);
    const auto key = tcp_owner_key(iface, frame);
    if (!key || !owns(*key)) return false;
    count(stats, iface, &EthernetStats::tx_frames);
    count(stats, iface, &EthernetStats::tx_bytes, frame.size());
    bypassed.push_back({iface.id, std::move(frame)});
    return true;
}

void Stack::Impl::flush_devices() {
    for (auto& iface : interfaces) {
        if (!iface || !iface->tx_pending) continue;
        iface->tx_pending = false;
        iface->device->flush();
    }
}

}  // namespace netstack
