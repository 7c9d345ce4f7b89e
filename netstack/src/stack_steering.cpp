// Stack::owned_elsewhere (stack.hpp): the frames a shard need not be fed at all. Only TCP
// segments to our own addresses qualify: there the first thing a shard does is ask whether
// it owns the 4-tuple, and one that does not only counts (tcp_input). Everything that could
// matter to every shard (ARP, fragments: reassembly runs in every shard, ICMP, a segment to
// be forwarded) is left to receive().
#include "netstack/tcp.hpp"
#include "src/stack_impl.hpp"
#include "wire/ethernet.hpp"
#include "wire/ip_protocol.hpp"
#include "wire/ipv4.hpp"
#include "wire/ipv6.hpp"

namespace netstack {

namespace {

constexpr auto kTcp = static_cast<std::uint8_t>(wire::IpProtocol::tcp);
constexpr std::size_t kPorts = 4;  // what the owner needs of the TCP header

// The 4-tuple a received segment names, as tcp_input keys it: local = (dst, dst port).
std::uint32_t received_flow_hash(const IpAddress& src, const IpAddress& dst, wire::Bytes tcp) {
    return tcp_flow_hash({dst, wire::load16(tcp, 2)}, {src, wire::load16(tcp, 0)});
}

}  // namespace

bool Stack::owned_elsewhere(InterfaceId id, std::span<const std::byte> frame) const {
    const Impl& s = *impl_;
    if (s.config.shard.count <= 1 || frame.size() < wire::ethernet_header_len) return false;
    const link::Interface* iface = s.find(id);
    if (iface == nullptr) return false;
    const wire::Bytes packet = frame.subspan(wire::ethernet_header_len);
    switch (wire::EtherType(wire::load16(frame, 12))) {
        case wire::EtherType::ipv4: {
            const wire::Ipv4View ip(packet);
            if (!ip.check_len() || ip.version() != 4) return false;
            const std::size_t header = ip.header_len();
            if (header < wire::ipv4_min_header_len || packet.size() < header + kPorts) return false;
            if (ip.protocol() != kTcp || ip.more_fragments() || ip.frag_offset() != 0) return false;
            if (!s.is_local_address(ip.dst())) return false;
            return !s.owns(received_flow_hash(ip.src(), ip.dst(), packet.subspan(header)));
        }
        case wire::EtherType::ipv6: {
            // Only a TCP header right after the fixed one: extension headers may hold a
            // fragment, which every shard reassembles.
            const wire::Ipv6View ip(packet);
            if (!s.config.ipv6.enabled || !ip.check_len() || ip.version() != 6) return false;
            if (ip.next_header() != kTcp || packet.size() < wire::ipv6_header_len + kPorts)
                return false;
            const Ipv6Address dst = ip.dst();
            // As ipv6_input decides what is ours: a link-local address only on its own link.
            if (dst.is_multicast() ||
                !(dst.is_link_local() ? iface->has_address6(dst) : s.is_local_address6(dst)))
                return false;
            return !s.owns(
                received_flow_hash(ip.src(), dst, packet.subspan(wire::ipv6_header_len)));
        }
        default:
            return false;
    }
}

}  // namespace netstack
