// Stack::Impl: the state behind netstack::Stack and the glue between the layers.
//
// The packet path, one file per layer (like smoltcp's iface/interface/{ethernet,ipv4}.rs):
//   stack_link.cpp   Ethernet in/out, ARP (RFC 826), neighbour resolution before sending
//   stack_ipv4.cpp   IPv4 in (validation, reassembly, local delivery, forwarding) and out
//                    (routing, source selection, fragmentation)
//   stack_icmp.cpp   ICMP (RFC 792): echo, errors sent (rate limited) and received
//   stack_udp.cpp    UDP (RFC 768) input and the UDP socket API
//   stack_ping.cpp   the ping socket API
//   stack_config.cpp interfaces, addresses, routes, neighbours, timers
//
// Ownership: every entry point taking received bytes only borrows them for the call and
// always consumes the packet (delivered, or dropped with a named counter). Frames being built
// for sending are std::vector<std::byte> with link_headroom spare bytes in front for the
// Ethernet header; they are moved into the neighbour cache when they must wait for ARP.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "ip/ipv6_reassembler.hpp"
#include "ip/reassembler.hpp"
#include "ip/routing_table.hpp"
#include "ip/token_bucket.hpp"
#include "link/ethernet_filter.hpp"
#include "link/interface.hpp"
#include "link/neighbour_cache.hpp"
#include "netstack/stack.hpp"
#include "transport/ping_socket_table.hpp"
#include "transport/socket_events.hpp"
#include "transport/udp_socket_table.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ipv4.hpp"
#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"
#include "wire/ndp.hpp"

namespace netstack {

using Frame = std::vector<std::byte>;

inline constexpr std::size_t link_headroom = wire::ethernet_header_len;
inline constexpr std::size_t max_sockets = 65536;

// The payload pattern of our echo requests, checked in the replies (EchoReply::payload_ok).
inline std::byte ping_pattern(std::uint16_t seq, std::size_t i) {
    return static_cast<std::byte>((i + seq) & 0xff);
}

// Where a locally originated datagram goes (either IP version: next_hop and src share the
// destination's family).
struct OutRoute {
    link::Interface* iface = nullptr;
    IpAddress next_hop{};
    IpAddress src{};
    std::optional<MacAddress> link_dst{};  // broadcast/multicast: no neighbour resolution
    // To one of our own addresses with no loopback interface up: delivered in-stack.
    bool local = false;
    IpFamily family() const { return src.family(); }
};

// A datagram addressed to us, either IP version, as the transport protocols see it.
struct InboundPacket {
    wire::Bytes packet{};   // the whole IP packet, header first: an ICMP error quotes it
    wire::Bytes payload{};  // the transport message
    IpAddress src{};
    IpAddress dst{};
    // Sent to a broadcast or multicast address, IP or link layer: never answered with an
    // ICMP error or a RST (RFC 1122 3.2.2, RFC 4443 2.4 (e)).
    bool to_broadcast = false;
};

struct Stack::Impl {
    explicit Impl(StackConfig cfg);

    StackConfig config;
    StackStats stats;
    std::vector<std::unique_ptr<link::Interface>> interfaces;  // index = id - 1; null: removed
    std::vector<MacAddress> own_macs;
    link::NeighbourCache neighbours;
    ip::RoutingTable routes;
    ip::Ipv6RoutingTable routes6;
    ip::Reassembler reassembler;
    ip::Ipv6Reassembler reassembler6;
    ip::TokenBucket icmp_bucket;
    transport::UdpSocketTable udp;
    transport::PingSocketTable ping;
    transport::SocketEvents events;
    SocketId next_socket = 1;
    std::uint32_t next_ident = 0;
    std::vector<link::NeighbourCache::Request> arp_requests;  // scratch for poll()
    std::vector<Frame> ready_frames;                          // scratch for ARP updates

    // RFC 5227 (stack_link.cpp): probes in progress, defences, conflicts for the caller.
    struct AddressProbe {
        InterfaceId iface = 0;
        Ipv4Address address{};
        Instant started{};
        std::uint32_t sent = 0;
        std::optional<MacAddress> conflict{};
    };
    std::vector<AddressProbe> address_probes;
    std::map<std::pair<InterfaceId, Ipv4Address>, Instant> last_defence;
    std::deque<AddressConflict> address_conflicts;

    // --- helpers (stack_config.cpp) ---
    link::Interface* find(InterfaceId id);
    const link::Interface* find(InterfaceId id) const;
    link::Interface* interface_with_address(Ipv4Address a);
    // The first loopback interface that is up: where traffic to our own addresses goes.
    link::Interface* up_loopback();
    bool is_local_address(Ipv4Address a) const;
    // Transport code holds IpAddress; the stack has IPv4 addresses only so far.
    bool is_local_address(const IpAddress& a) const {
        return a.is_v4() && is_local_address(a.v4());
    }
    // Sharding: does this shard own the flow keyed by `key` (see stack.hpp)?
    bool owns(std::uint32_t key) const {
        return config.shard.count <= 1 || key % config.shard.count == config.shard.index;
    }
    bool is_shard_zero() const { return config.shard.index == 0; }
    // An event every shard lives through alike (an address formed, a lifetime over): counted
    // by shard 0 alone, so that the sum over shards is the number of events.
    void count_once(std::uint64_t& counter) const {
        if (is_shard_zero()) ++counter;
    }
    // The key of a forwarded packet for owns(): symmetric in the address pair, so both
    // directions of a flow land on the same shard. An IPv4 address folds to its own value.
    static std::uint32_t forward_flow_hash(const IpAddress& a, const IpAddress& b) {
        std::uint32_t h = a.fold32() ^ b.fold32();
        h ^= h >> 16;
        h *= 0x7feb352du;
        h ^= h >> 15;
        return h;
    }
    void rebuild_own_macs();
    std::optional<Route> lookup_route(Ipv4Address dst) const;
    SocketId allocate_socket_id();
    void raise(SocketId socket, std::uint8_t bits) { events.raise(socket, bits); }

    // --- link (stack_link.cpp) ---
    // Received-packet handlers below (ethernet_input, arp_input, ipv4_input, ipv4_deliver,
    // ipv4_forward, icmp_input, udp_input) borrow the bytes for the call and always consume
    // the packet: delivered (copied into a socket queue or the reassembler), answered,
    // forwarded (copied), or dropped with a counter.
    void ethernet_input(link::Interface& iface, wire::Bytes frame, Instant now);
    // `unicast_to_us`: the frame was sent to our MAC (a reply so sent confirms reachability).
    void arp_input(link::Interface& iface, wire::Bytes packet, bool unicast_to_us, Instant now);
    void send_arp(link::Interface& iface, wire::ArpOperation op, MacAddress link_dst,
                  MacAddress target_mac, Ipv4Address target_ip, Ipv4Address sender_ip);
    void send_arp_request(link::Interface& iface, Ipv4Address target, MacAddress link_dst);
    void send_gratuitous_arp(link::Interface& iface, Ipv4Address address);
    // RFC 5227: a probe for `address` (sender IP 0.0.0.0).
    void send_address_probe(link::Interface& iface, Ipv4Address address);
    // When probe i (0-based) of a probe started at `started` is due.
    Instant address_probe_due(Instant started, std::uint32_t i) const;
    const AddressProbe* find_address_probe(InterfaceId iface, Ipv4Address address) const;
    void poll_address_probes(Instant now);
    std::optional<Instant> address_probes_next() const;
    // RFC 5227 2.1.1: does this ARP packet show that an address being probed is taken?
    void check_address_probes(link::Interface& iface, const wire::ArpRepr& arp);
    // RFC 5227 2.4: another MAC claims `address`, configured on `iface`.
    void address_conflict(link::Interface& iface, Ipv4Address address, MacAddress mac, Instant now);
    // The address was configured or its interface removed: forget probes and defences.
    void forget_address(InterfaceId iface, std::optional<Ipv4Address> address);
    // Upper-layer confirmation for traffic to `dst` (TCP): confirms the route's next hop.
    void confirm_destination(const IpAddress& dst, Instant now);
    // Sends an IP packet of next_hop's family (in `frame` after link_headroom) to
    // `next_hop`, resolving its MAC first (ARP or Neighbor Discovery) unless `link_dst` is
    // given. Always consumes: sent, queued for resolution, or dropped.
    void link_output(link::Interface& iface, const IpAddress& next_hop,
                     std::optional<MacAddress> link_dst, Frame&& frame, Instant now);
    // Asks for `target`'s MAC: an ARP request or a Neighbor Solicitation, broadcast (to the
    // solicited-node group) or, with `unicast`, to the cached MAC (a NUD probe).
    void send_resolution(link::Interface& iface, const IpAddress& target,
                         std::optional<MacAddress> unicast, Instant now);
    // Fills in the Ethernet header and hands the frame to the device.
    void transmit(link::Interface& iface, std::span<std::byte> frame, MacAddress dst,
                  wire::EtherType type);
    void flush_devices();
    // Stack::ReceiveBatch objects alive: while above 0, receive() does not flush.
    int receive_batches = 0;

    // The loopback bypass (LoopbackShortcuts::bypass): TCP segments on a loopback interface
    // whose receiving end is this shard's wait here, Ethernet header and all, instead of
    // crossing the link; the TCP layer delivers them when its current call is over.
    struct Bypassed {
        InterfaceId iface = 0;
        Frame frame;
    };
    std::deque<Bypassed> bypassed;
    // Keeps the frame (its Ethernet header filled in) when it qualifies: true then.
    bool bypass_link(link::Interface& iface, Frame& frame, wire::EtherType type);
    // The flow hash of the connection a TCP segment in `frame` is for, when one shard owns it
    // (stack_steering.cpp); nullopt for anything else and for any doubt.
    std::optional<std::uint32_t> tcp_owner_key(const link::Interface& iface,
                                               std::span<const std::byte> frame) const;

    // --- IPv4 (stack_ipv4.cpp) ---
    void ipv4_input(link::Interface& iface, const link::AcceptedFrame& frame, Instant now);
    // A whole (reassembled) datagram addressed to us. `to_broadcast`: sent to a broadcast or
    // multicast address (no ICMP errors about it, RFC 1122 3.2.2).
    void ipv4_deliver(link::Interface& iface, wire::Bytes datagram, const wire::Ipv4Repr& repr,
                      bool to_broadcast, Instant now);
    void ipv4_forward(wire::Bytes packet, const wire::Ipv4Repr& repr, Instant now);
    // Routing and source selection for a datagram we originate; `bound` is the socket's
    // address (any: choose by route).
    std::expected<OutRoute, SocketError> route_to(Ipv4Address dst, Ipv4Address bound);
    // Either family; `bound` of the other family than `dst` is invalid.
    std::expected<OutRoute, SocketError> route_to(const IpAddress& dst, const IpAddress& bound);
    // Emits the IP header of `repr` into `frame` (link_headroom + 20 + payload_len bytes,
    // payload already in place) and sends it: locally, whole, or fragmented. Always consumes.
    std::expected<void, SocketError> ipv4_output(const OutRoute& route, wire::Ipv4Repr repr,
                                                 Frame&& frame, Instant now);
    // Sends a finished IP packet (after link_headroom), fragmenting to the interface MTU.
    // Returns false (dropping it) when it is too big and DF is set.
    bool ipv4_transmit(link::Interface& iface, Ipv4Address next_hop,
                       std::optional<MacAddress> link_dst, Frame&& frame, Instant now);
    std::uint16_t allocate_ident();
    // A copy of a received IP packet with room for the Ethernet header: what a router sends on.
    static Frame copy_for_forwarding(wire::Bytes packet) {
        Frame frame(link_headroom + packet.size());
        wire::store_bytes(frame, link_headroom, packet);
        return frame;
    }
    // A frame with room for the Ethernet and a 20-byte IP header before `payload_len` bytes.
    static Frame make_frame(std::size_t payload_len) {
        return Frame(link_headroom + wire::ipv4_min_header_len + payload_len);
    }
    static constexpr std::size_t payload_offset = link_headroom + wire::ipv4_min_header_len;

    // --- IPv6 (stack_ipv6.cpp) ---
    void ipv6_input(link::Interface& iface, const link::AcceptedFrame& frame, Instant now);
    // A packet sent to our MAC for an address that is not ours, forwarding on, off a
    // non-loopback link (stack_ipv6_forward.cpp): routed on by RFC 8200/4443's router rules.
    void ipv6_forward(link::Interface& iface, wire::Bytes packet, const wire::Ipv6Repr& repr,
                      Instant now);
    // A whole packet addressed to us whose extension headers `chain` walked.
    void ipv6_deliver(link::Interface& iface, wire::Bytes packet, const wire::Ipv6Repr& repr,
                      const wire::Ipv6Chain& chain, bool to_group, Instant now);
    // Counts the fault and, when `answer` (the shard that speaks for the packet), sends the
    // parameter problem it calls for.
    void ipv6_extension_fault(wire::Bytes packet, const wire::Ipv6Repr& repr,
                              const wire::Ipv6ExtFault& fault, bool answer, Instant now);
    // A fragment (RFC 8200 4.5): held until its packet is whole, then delivered.
    void ipv6_reassemble(link::Interface& iface, wire::Bytes packet, const wire::Ipv6Repr& repr,
                         const wire::Ipv6Chain& chain, bool to_group, Instant now);
    std::expected<OutRoute, SocketError> route_to6(const Ipv6Address& dst,
                                                   const Ipv6Address& bound);
    // route_to6's work, into the caller's OutRoute (see there).
    std::expected<void, SocketError> fill_route6(OutRoute& out, const Ipv6Address& dst,
                                                 const Ipv6Address& bound);
    // Emits the IPv6 header of `repr` (source from the route) into `frame` (link_headroom +
    // 40 + payload_len bytes, payload in place) and sends it: locally, whole or fragmented.
    std::expected<void, SocketError> ipv6_output(const OutRoute& route, wire::Ipv6Repr repr,
                                                 Frame&& frame, Instant now);
    std::expected<void, SocketError> ipv6_fragment_output(const OutRoute& route, Frame&& frame,
                                                          Instant now);
    std::uint32_t allocate_ident6();
    std::uint32_t next_ident6 = 0;
    static Frame make_frame6(std::size_t payload_len);
    static constexpr std::size_t payload_offset6 = link_headroom + wire::ipv6_header_len;

    // Either version: a transport message is in `frame` at payload_offset_for(dst's family);
    // the IP header is filled in and the packet sent (`dont_fragment`: refused when over the
    // MTU rather than fragmented).
    std::expected<void, SocketError> ip_output(const OutRoute& route, const IpAddress& dst,
                                               wire::IpProtocol protocol, std::size_t payload_len,
                                               Frame&& frame, Instant now,
                                               bool dont_fragment = false);
    static Frame make_frame_for(IpFamily family, std::size_t payload_len);
    static std::size_t payload_offset_for(IpFamily family);

    // --- ICMPv6 (stack_icmpv6.cpp) ---
    void icmpv6_input(link::Interface& iface, const InboundPacket& in, std::uint8_t hop_limit,
                      Instant now);
    std::expected<void, SocketError> icmpv6_output(const OutRoute& route, const Ipv6Address& dst,
                                                   const wire::Icmpv6Repr& message,
                                                   std::uint8_t hop_limit, Instant now);
    // An error quoting a packet we sent (RFC 4443 2.4 (d)): passed to the transport that
    // sent it, as icmp_error_input does for IPv4.
    void icmpv6_error_input(const Ipv6Address& from, std::uint8_t type, std::uint8_t code,
                            std::uint32_t rest, wire::Bytes quoted, Instant now);
    std::expected<void, SocketError> icmpv6_send_echo(const OutRoute& route, const Ipv6Address& to,
                                                      std::uint16_t id, std::uint16_t seq,
                                                      wire::Bytes payload, Instant now);
    // An error about `original` (an IPv6 packet, header first) unless RFC 4443 2.4 (e)
    // forbids it or the rate limit is spent. `arrived_on`: the original's link, where the
    // error to a link-local source must go (the routes of fe80::/64 name every link).
    void icmpv6_send_error(wire::Bytes original, std::uint8_t type, std::uint8_t code,
                           std::uint32_t rest, bool to_group, Instant now,
                           link::Interface* arrived_on = nullptr);

    // --- ICMP errors to sockets, both versions (stack_icmp.cpp) ---
    // An error quoting a UDP datagram (ports in `data`, the first 8 bytes after the quoted
    // IP header) or an echo request (its identifier) we sent: stored on the socket that sent
    // it, which hears socket_error.
    enum class QuotedSocket : std::uint8_t { told, not_owner, none };
    QuotedSocket udp_quoted_error(const IpAddress& src, const IpAddress& dst, wire::Bytes data,
                                  const IcmpError& error);
    QuotedSocket echo_quoted_error(wire::Bytes data, const IcmpError& error);

    // --- ICMP (stack_icmp.cpp) ---
    void icmp_input(link::Interface& iface, wire::Bytes datagram, const wire::Ipv4Repr& repr,
                    bool to_broadcast, Instant now);
    void icmp_error_input(const wire::Ipv4Repr& repr, std::uint8_t type, std::uint8_t code,
                          std::uint32_t rest, wire::Bytes quoted, Instant now);
    // Sends an ICMP error about `original` (an IP packet, header first) unless RFC 1122
    // 3.2.2 forbids one or the rate limit is spent. `to_broadcast`: the original was sent to
    // a broadcast/multicast address or as a link-layer broadcast.
    void icmp_send_error(wire::Bytes original, std::uint8_t type, std::uint8_t code,
                         std::uint32_t rest, bool to_broadcast, Instant now);

    // Destination unreachable, port (RFC 1122 4.1.3.1, RFC 4443 3.1 code 4), in the
    // packet's own ICMP version.
    void send_port_unreachable(const InboundPacket& in, Instant now);

    // --- ping sockets (stack_ping.cpp) ---
    // An echo reply of either ICMP version: queued on the socket that owns its id.
    enum class EchoDelivery : std::uint8_t { delivered, not_owner, no_socket, queue_full };
    EchoDelivery echo_reply_input(const IpAddress& from, std::uint16_t echo_id, std::uint16_t seq,
                                  wire::Bytes data, std::uint8_t ttl, Instant now);

    // --- UDP (stack_udp.cpp) ---
    void udp_input(link::Interface& iface, const InboundPacket& in, Instant now);
    std::expected<void, SocketError> udp_output(transport::UdpSocket& socket,
                                                std::span<const std::byte> payload, Endpoint to,
                                                Instant now);

    // --- TCP (stack_tcp.cpp) ---
    // Connections, listeners and timers, made by the first TCP call.
    struct TcpLayer;
    struct TcpLayerDeleter {
        void operator()(TcpLayer* layer) const;
    };
    std::unique_ptr<TcpLayer, TcpLayerDeleter> tcp;
    TcpLayer& tcp_layer();
    void tcp_input(link::Interface& iface, const InboundPacket& in, Instant now);
    // What an ICMP or ICMPv6 error quoting one of our segments means for its connection
    // (RFC 5461), as each version's input decided: a smaller path MTU, or an unreachable
    // that is hard (ends a connection being opened) or soft (reported if it times out).
    struct TcpIcmpNews {
        std::optional<std::size_t> mtu;
        SocketError error = SocketError::host_unreachable;
        bool hard = false;
    };
    // `data` is the quoted segment's first 8 bytes (ports and sequence number).
    void tcp_icmp_error(const IpAddress& src, const IpAddress& dst, wire::Bytes data,
                        const TcpIcmpNews& news, Instant now);
    void tcp_poll(Instant now);
    // The end of a receive batch: the ACKs its connections held (ConnectionHost::hold_ack).
    void tcp_send_held_acks(Instant now);
    std::optional<Instant> tcp_poll_at() const;
    bool is_tcp_socket(SocketId id) const;

    // --- IPv6 configuration (stack_ipv6_config.cpp) ---
    bool is_local_address6(const Ipv6Address& a) const;
    link::Interface* interface_with_address6(const Ipv6Address& a);
    std::optional<Ipv6Route> lookup_route6(const Ipv6Address& dst) const;
    // lookup_route6 without the copy, valid until the routes change.
    const Ipv6Route* best_route6(const Ipv6Address& dst) const;
    // Adds the address (tentative when DAD is on) and its on-link route; DAD starts at the
    // next poll_dad().
    std::expected<void, ConfigError> add_address6(link::Interface& iface,
                                                  Ipv6InterfaceAddress entry, Instant now);
    // The link-local address of a new interface (Ipv6Config::enabled, not on loopback).
    void add_link_local(link::Interface& iface, Instant now);
    // RFC 4862 5.4: sends the due solicitations, makes addresses preferred when their wait
    // is over.
    void poll_dad(Instant now);
    std::optional<Instant> dad_next() const;
    // RFC 4862 5.4.3/5.4.4: another node solicits or advertises a tentative address.
    void dad_conflict(link::Interface& iface, const Ipv6Address& address);

    // --- Neighbor Discovery (stack_ndp.cpp) ---
    void ndp_input(link::Interface& iface, const InboundPacket& in, std::uint8_t hop_limit,
                   const wire::Icmpv6Repr& icmp, Instant now);
    // Sends a Neighbor Discovery message from `src` to `dst` (hop limit 255, RFC 4861) on
    // `iface`: to `link_dst` without resolution, else resolving `dst`.
    void send_nd(link::Interface& iface, const Ipv6Address& src, const Ipv6Address& dst,
                 std::optional<MacAddress> link_dst, const wire::NdpRepr& nd, Instant now);
    // Resolution (to the solicited-node group) or, with `unicast`, a NUD probe.
    void send_neighbour_solicitation(link::Interface& iface, const Ipv6Address& target,
                                     std::optional<MacAddress> unicast, Instant now);
    void neighbour_solicitation_input(link::Interface& iface, const wire::Ipv6Repr& ip,
                                      const wire::NdpRepr& ns, Instant now);
    void neighbour_advertisement_input(link::Interface& iface, const wire::NdpRepr& na,
                                       Instant now);
    void send_dad_solicitation(link::Interface& iface, const Ipv6Address& address);
    void send_unsolicited_na(link::Interface& iface, const Ipv6Address& address);
    // A solicitation or advertisement from `src` with its source link-layer address: the
    // sender goes into the neighbour cache as stale (RFC 4861 7.2.3, 6.3.4, 6.2.6), in every
    // shard, and frames waiting for it leave. `is_router` as NeighbourCache::update's.
    void learn_neighbour6(link::Interface& iface, const Ipv6Address& src, MacAddress mac,
                          std::optional<bool> is_router, Instant now);
    // An address became preferred (DAD over, or none): announced; the link-local one starts
    // router discovery on its interface, as a host or as a router.
    void address_usable(link::Interface& iface, const Ipv6Address& address, Instant now);
    // Removes an address and, when no other address is on its prefix, its on-link route.
    void remove_address6(link::Interface& iface, const Ipv6Cidr& address);

    // --- router discovery, host side (stack_router_discovery.cpp) ---
    // RFC 4861 6.3.4 applies on this interface: accept_ra on, not forwarding, not advertising.
    bool accepts_router_advertisements(const link::Interface& iface) const;
    void router_advertisement_input(link::Interface& iface, const Ipv6Address& router,
                                    const wire::NdpRepr& ra, Instant now);
    void default_router_update(link::Interface& iface, const Ipv6Address& router,
                               std::chrono::seconds lifetime, Instant now);
    void on_link_prefix_update(link::Interface& iface, const Ipv6Cidr& prefix,
                               std::uint32_t valid_lifetime, Instant now);
    // RFC 4862 5.5.3: forms or refreshes the address of an autonomous prefix.
    void autoconfigure(link::Interface& iface, const wire::NdpPrefixInfo& info, Instant now);
    // RFC 4861 7.2.5: a neighbour that said it is no router any more leaves the router list.
    void router_lost(link::Interface& iface, const Ipv6Address& router);
    void send_router_solicitation(link::Interface& iface, const Ipv6Address& src);
    // Solicitations due, lifetimes over (addresses deprecated or removed, routes removed).
    void poll_router_discovery(Instant now);
    std::optional<Instant> router_discovery_next() const;

    // --- router discovery, router side (stack_router_advertiser.cpp) ---
    void router_solicitation_input(link::Interface& iface, const Ipv6Address& src,
                                   const wire::NdpRepr& rs, Instant now);
    void send_router_advertisement(link::Interface& iface, std::chrono::seconds router_lifetime);
    void poll_router_advertisements(Instant now);
    // RFC 4861 6.2.4: uniform between the intervals; the first few at most 16 s.
    Duration next_advertisement_interval(const link::RouterAdvertiser& advertiser);
    // A draw in [0, bound) from the stack's seed (splitmix64): advertisement timing.
    std::uint64_t random_below(std::uint64_t bound);
    std::uint64_t random_state = 0;
    // The hop limit of packets we originate on `iface` (an advertised one, RFC 4861 6.3.4).
    std::uint8_t hop_limit6(const link::Interface& iface) const {
        return iface.routers.hop_limit != 0 ? iface.routers.hop_limit
                                            : config.ipv6.default_hop_limit;
    }

    // --- timers (stack_config.cpp) ---
    void poll(Instant now);
    std::optional<Instant> poll_at() const;
};

}  // namespace netstack
