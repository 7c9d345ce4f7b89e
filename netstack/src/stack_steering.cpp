// Stack::owned_elsewhere (stack.hpp): the frames a shard need not be fed at all; and, for the
// loopback bypass, the frames it owns for sure (Impl::tcp_owner_key). Only TCP
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

// The flow hash of the connection a TCP segment in `frame` is for, when the frame is one a
// single shard owns: to one of our addresses, unfragmented, TCP right after the fixed
// header. nullopt for everything else and for any doubt.
std::optional<std::uint32_t> Stack::Impl::tcp_owner_key(const link::Interface& iface,
                                                        std::span<const std::byte> frame) const {
    if (frame.size() < wire::ethernet_header_len) return std::nullopt;
    const wire::Bytes packet = frame.subspan(wire::ethernet_header_len);
    switch (wire::EtherType(wire::load16(frame, 12))) {
        case wire::EtherType::ipv4: {
            const wire::Ipv4View ip(packet);
            if (!ip.check_len() || ip.version() != 4) return std::nullopt;
            const std::size_t header = ip.header_len();
            if (header < wire::ipv4_min_header_len || packet.size() < header + kPorts)
                return std::nullopt;
            if (ip.protocol() != kTcp || ip.more_fragments() || ip.frag_offset() != 0)
                return std::nullopt;
            if (!is_local_address(ip.dst())) return std::nullopt;
            return received_flow_hash(ip.src(), ip.dst(), packet.subspan(header));
        }
        case wire::EtherType::ipv6: {
            // Only a TCP header right after the fixed one: extension headers may hold a
            // fragment, which every shard reassembles.
            const wire::Ipv6View ip(packet);
            if (!config.ipv6.enabled || !ip.check_len() || ip.version() != 6) return std::nullopt;
            if (ip.next_header() != kTcp || packet.size() < wire::ipv6_header_len + kPorts)
                return std::nullopt;
            const Ipv6Address dst = ip.dst();
            // As ipv6_input decides what is ours: a link-local address only on its own link.
            if (dst.is_multicast() ||
                !(dst.is_link_local() ? iface.has_address6(dst) : is_local_address6(dst)))
                return std::nullopt;
            return received_flow_hash(ip.src(), dst, packet.subspan(wire::ipv6_header_len));
        }
        default:
            return std::nullopt;
    }
}

bool Stack::owned_elsewhere(InterfaceId id, std::span<const std::byte> frame) const {
    const Impl& s = *impl_;
    if (s.config.shard.count <= 1) return false;
    const link::Interface* iface = s.find(id);
    if (iface == nullptr) return false;
    const auto key = s.tcp_owner_key(*iface, frame);
    return key && !s.owns(*key);
}

}  // namespace netstack
