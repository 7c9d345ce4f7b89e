// The userspace stack's front door: interfaces, addresses, routes, neighbours, sockets.
//
// Pure logic. A Stack belongs to one thread (a daemon worker, a test) and never reads a
// clock, sleeps or makes a system call: the caller passes `now` in, hands it received frames,
// calls poll() when poll_at() says a timer is due, and the stack sends through Devices.
//
// Sharding (the daemon runs one Stack per worker, every worker reading every frame of the
// bus): Shard{index, count} decides what this stack keeps. Every shard learns from every ARP
// packet; only shard 0 answers ARP requests and ICMP echo requests and defends our addresses
// (RFC 5227); a UDP datagram belongs to
// the shard with index == local port % count (ports that bind(0) picks obey the same rule);
// an echo reply to the shard with index == echo id % count; forwarded packets by a hash of
// the address pair. Reassembly happens in every shard (fragments carry no ports). With the
// default Shard{0, 1} the stack keeps everything. Each shard keeps its own neighbour cache
// and probes the neighbours its own traffic uses (NUD); since every shard reads every ARP
// packet, the reply to any shard's request (unicast to the MAC they share) confirms the
// entry in all of them.
// Counters: Ethernet, ARP, IPv4 and ICMP-error receive counters count in every shard (each
// sees every frame), except arp.address_conflicts (shard 0 only; the others count such a
// packet in drop_bad_sender); echo and UDP receive counters only in the shard that owns the
// packet, so summing them over shards counts each packet once (the others count
// drop_not_owner).
// TCP: a connection lives on exactly one shard, index == tcp_flow_hash(local, remote) %
// count (tcp.hpp). A listening socket is opened on every shard (as SO_REUSEPORT does) and
// each SYN is accepted by the shard its 4-tuple hashes to; tcp_connect picks an ephemeral
// port whose hash lands on the calling shard. A shard never answers a segment it does not
// own (no RST from the wrong shard): it counts tcp.drop_not_owner; the owner answers
// segments that match no connection with a RST. TCP counters count in the owning shard only.
// A reader may skip feeding a shard the segments owned_elsewhere() names (the daemon does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/device.hpp"
#include "netstack/stats.hpp"
#include "netstack/tcp.hpp"
#include "netstack/time.hpp"

namespace netstack {

using InterfaceId = std::uint32_t;
using SocketId = std::uint32_t;

enum class VlanPolicy : std::uint8_t {
    drop,   // 802.1Q-tagged frames are dropped and counted
    strip,  // the tag is removed and the frame handled as untagged
};

struct InterfaceConfig {
    std::string name{};        // for statistics and messages; unique within the stack
    MacAddress mac{};          // zero = derived from the stack's seed and the name
    std::size_t mtu = 0;       // IP MTU; 0 = the device's max_frame() - 14
    bool promiscuous = false;  // accept frames for any destination MAC (then filter at IP)
    VlanPolicy vlan = VlanPolicy::drop;
    // A loopback interface (Linux's lo): what it sends comes back to this stack and to every
    // other shard on the device (the device must loop frames back, the sender's own too).
    // No ARP: frames go to its own MAC, and frames from our own MAC are taken on it. The
    // only interface that may hold 127/8 addresses (give it 127.0.0.1/8 with add_address);
    // every address inside its prefixes is ours, as Linux makes a loopback prefix local.
    // While it is up, datagrams to any of our addresses leave through it (so the shard that
    // owns their flow gets them); nothing is forwarded onto or off it; and 127/8 arriving on
    // another interface is a martian, dropped (RFC 1122 3.2.1.3, ipv4.drop_martian).
    bool loopback = false;
};

// What a loopback interface may skip while nothing on its link alters, delays or drops
// frames; both on from the start (netstack/README.md, "Loopback").
struct LoopbackShortcuts {
    // TCP segments are neither summed nor checked, as over Linux's lo. Off while something
    // may flip bits on the link (the daemon: an impairment on lo that corrupts), so that TCP
    // drops what was flipped.
    bool checksum = true;
    // A TCP segment whose receiving end lives on this shard does not cross the link: it is
    // delivered in-stack once the current call is over (Linux's lo hands a packet to the CPU
    // that sent it). Off while the link must see every frame (the daemon: any impairment on
    // lo); the interface's Ethernet counters count such segments all the same.
    bool bypass = true;
};

struct Shard {
    std::uint32_t index = 0;
    std::uint32_t count = 1;
};

// ARP (RFC 826) with Linux's neighbour unreachability detection (see
// link/neighbour_cache.hpp for the states; the Linux sysctl each timer mirrors is named) and
// RFC 5227's address conflict detection (probe_address, defence, take_address_conflicts).
struct ArpConfig {
    // base_reachable_time: a confirmed entry is used without question this long, then stale.
    // (Linux draws each entry's time from [0.5, 1.5] x base; here it is the base itself.)
    Duration reachable_time = std::chrono::seconds(30);
    Duration stale_time = std::chrono::seconds(60);  // gc_stale_time: an unused stale or
                                                     // failed entry is then removed
    // delay_first_probe_time: a stale entry in use waits this long for an upper-layer
    // confirmation (confirm_neighbour) before unicast probes start.
    Duration delay_first_probe = std::chrono::seconds(5);
    Duration retry_interval = std::chrono::seconds(1);  // retrans_time: between requests
    std::uint32_t max_retries = 3;   // mcast_probes: broadcast requests before failed
    std::uint32_t ucast_probes = 3;  // ucast_probes: unicast requests to a cached MAC before
                                     // failed (then the next packet resolves by broadcast)
    std::size_t max_entries = 512;   // per stack
    // Packets waiting for one resolution. A 64 KiB datagram sent to an unresolved neighbour
    // is 45 fragments at MTU 1500, all queued at once: fewer would cut every such datagram.
    std::size_t max_pending_per_entry = 64;
    std::size_t max_pending_total = 1024;  // 16 such entries
    // RFC 5227 2.1 (scaled to a bus, where a reply takes microseconds): probe_address sends
    // probe_count ARP probes spread over probe_wait and listens until probe_wait is over.
    // The daemon skips probing when probe_wait is 0.
    Duration probe_wait = std::chrono::milliseconds(100);
    std::uint32_t probe_count = 3;
    // RFC 5227 2.4 (b): at most one defending announcement per address this often.
    Duration defend_interval = std::chrono::seconds(10);
};

struct ReassemblyConfig {
    Duration timeout = std::chrono::seconds(30);  // RFC 791 suggests 15 s; Linux uses 30 s
    // All incomplete datagrams together: fragment data plus a fixed charge per fragment
    // (its bookkeeping), so that many tiny fragments cannot hold more than this.
    std::size_t max_bytes = 4 * 1024 * 1024;
    std::size_t max_datagrams = 64;
    // Fragments held per datagram: bounds the work and bookkeeping a stream of tiny
    // fragments can cost. A 64 KiB datagram at the minimum MTU of 576 needs ~118.
    std::size_t max_fragments_per_datagram = 256;
};

struct IcmpConfig {
    // Token bucket for ICMP errors and echo replies (RFC 1812 4.3.2.8): `burst` at once,
    // refilled at `per_second`. 0 per_second = unlimited.
    std::uint32_t per_second = 1000;
    std::uint32_t burst = 50;
};

// IPv6 (RFC 8200) beside IPv4. Neighbour Discovery (RFC 4861) shares the neighbour cache
// and its timers with ARP (ArpConfig: Linux's neighbour parameters are the same for both).
struct Ipv6Config {
    // On: IPv6 frames are taken, and every interface but a loopback one gets a link-local
    // address from its MAC (RFC 4862 5.3, modified EUI-64) when it is added. Off (the
    // library's default, so that a stack sends only what its user asked for): IPv6 frames
    // count as an unknown ethertype. shmifd turns it on.
    bool enabled = false;
    std::uint8_t default_hop_limit = 64;
    // RFC 4862 5.1 DupAddrDetectTransmits: Neighbor Solicitations sent for a new address
    // before it is used, retrans_timer apart; the address is tentative (not used, not
    // answered for) until then. 0: addresses are preferred at once.
    std::uint32_t dad_transmits = 1;
    Duration retrans_timer = std::chrono::seconds(1);
    // RFC 4861 6.3.4 and RFC 4862 5.5 (a host's router discovery): Router Advertisements set
    // default routers, on-link prefixes, the hop limit and the MTU, and their autonomous
    // /64 prefixes give addresses (SLAAC, the interface identifier from the MAC as for the
    // link-local one). As Linux's accept_ra=1: ignored while forwarding is on and on an
    // interface that advertises itself.
    bool accept_ra = true;
    // RFC 4861 6.3.7 MAX_RTR_SOLICITATIONS and RTR_SOLICITATION_INTERVAL: Router
    // Solicitations sent once the link-local address is usable, until an advertisement comes.
    std::uint32_t router_solicitations = 3;
    Duration router_solicitation_interval = std::chrono::seconds(4);
};

// RFC 4861 6.2.1: what a router advertises on one interface (radvd's knobs, cut down).
// Every prefix goes out on-link and autonomous (L and A set), so hosts form addresses in
// a /64 one (RFC 4862 5.5.3).
struct RouterAdvertConfig {
    std::vector<Ipv6Cidr> prefixes{};
    // AdvDefaultLifetime: how long hosts may use us as a default router; 0: not one (a
    // router that does not forward advertises its prefixes only).
    std::chrono::seconds router_lifetime{1800};
    std::chrono::seconds valid_lifetime{2592000};     // AdvValidLifetime (30 days)
    std::chrono::seconds preferred_lifetime{604800};  // AdvPreferredLifetime (7 days)
    // MinRtrAdvInterval, MaxRtrAdvInterval: unsolicited advertisements at random times
    // between the two (RFC 4861 6.2.4), the first three at most 16 s apart.
    Duration min_interval = std::chrono::seconds(200);
    Duration max_interval = std::chrono::seconds(600);
    bool advertise_mtu = true;  // the interface's MTU in an MTU option (AdvLinkMTU)
    bool operator==(const RouterAdvertConfig&) const = default;
};

struct StackConfig {
    bool forwarding = false;  // route packets not addressed to us between interfaces
    std::uint8_t default_ttl = 64;
    Shard shard{};
    ArpConfig arp{};
    Ipv6Config ipv6{};
    ReassemblyConfig reassembly{};
    IcmpConfig icmp{};
    std::size_t udp_rx_queue_datagrams = 256;  // default per socket
    std::size_t udp_rx_queue_bytes = 1 << 20;
    TcpConfig tcp{};
    std::uint64_t seed = 1;  // MAC derivation, IP ids, ephemeral ports
};

struct Route {
    Ipv4Cidr destination{};                // 0.0.0.0/0 is the default route
    std::optional<Ipv4Address> gateway{};  // none: on-link
    InterfaceId interface = 0;
    std::uint32_t metric = 0;  // among equal prefixes, the lowest wins
    auto operator<=>(const Route&) const = default;
};

// An IPv6 route: as Route, for IPv6 destinations; the gateway is usually link-local
// (fe80::1), on the route's interface.
struct Ipv6Route {
    Ipv6Cidr destination{};  // ::/0 is the default route
    std::optional<Ipv6Address> gateway{};
    InterfaceId interface = 0;
    std::uint32_t metric = 0;
    auto operator<=>(const Ipv6Route&) const = default;
};

// RFC 4862 5.4: a new address is tentative while Duplicate Address Detection runs, then
// preferred; duplicate when another node answered for it (it is never used then).
// Deprecated (5.5.4): its preferred lifetime is over; it still receives, and is a source
// only when no preferred address will do.
enum class Ipv6AddressState : std::uint8_t { tentative, preferred, duplicate, deprecated };
const char* ipv6_address_state_name(Ipv6AddressState state);

struct Ipv6InterfaceAddress {
    Ipv6Cidr address{};
    Ipv6AddressState state = Ipv6AddressState::tentative;
    // Made by the stack: the link-local address from the MAC, or one formed from an
    // advertised prefix (SLAAC).
    bool automatic = false;
    // The lifetimes of an address formed from an advertised prefix (RFC 4862 5.5.3);
    // none: infinite (configured addresses).
    std::optional<Instant> preferred_until{};
    std::optional<Instant> valid_until{};
    auto operator<=>(const Ipv6InterfaceAddress&) const = default;
};

enum class NeighbourState : std::uint8_t { incomplete, reachable, stale, delay, probe, failed };
const char* neighbour_state_name(NeighbourState state);

// One neighbour cache entry: an IPv4 neighbour (ARP) or an IPv6 one (Neighbor Discovery).
struct NeighbourEntry {
    InterfaceId interface = 0;
    IpAddress address{};
    MacAddress mac{};  // zero while incomplete (failed: the MAC that stopped answering, if any)
    NeighbourState state = NeighbourState::incomplete;
    Instant expires{};
    std::size_t pending = 0;  // packets waiting for it
    bool is_router = false;   // RFC 4861 IsRouter (IPv6 neighbours only)
};

// RFC 5227 address conflict detection: what probe_address found so far.
struct AddressProbeStatus {
    // Over: probe_wait has passed since the probe started, or a conflict was seen.
    bool finished = false;
    // The MAC of a host that uses the address (an ARP packet with it as sender) or probes
    // for it too (an ARP probe for it from another MAC): the address is taken.
    std::optional<MacAddress> conflict{};
};

// An ARP packet from another MAC claiming one of our configured addresses (RFC 5227 2.4).
struct AddressConflict {
    InterfaceId interface = 0;
    Ipv4Address address{};
    MacAddress mac{};  // the other claimant
    Instant when{};
    bool defended = false;  // we answered with an announcement (once per defend_interval)
};

struct InterfaceInfo {
    InterfaceId id = 0;
    std::string name{};
    MacAddress mac{};
    std::size_t mtu = 0;
    bool up = true;
    bool promiscuous = false;
    bool loopback = false;
    std::vector<Ipv4Cidr> addresses{};
    std::vector<Ipv6InterfaceAddress> addresses6{};
    EthernetStats stats{};  // this interface's share of the link-layer counters
};

enum class ConfigError : std::uint8_t {
    no_such_interface = 1,
    duplicate_name,
    exists,     // address or route already present
    not_found,  // address or route absent
    invalid,    // e.g. prefix length > 32, gateway not reachable on-link, mtu < 68
};
const char* describe(ConfigError error);

enum class SocketError : std::uint8_t {
    bad_socket = 1,  // no such socket, or the wrong kind
    address_in_use,  // bind
    no_ports,        // bind(0): no free port this shard may use
    not_bound,
    not_connected,  // send() without connect()
    would_block,    // receive: queue empty
    no_route,
    message_too_big,  // over 65,507 bytes, or DF would be needed
    invalid,          // e.g. port 0 destination
    too_many_sockets,
    // TCP (each maps to one errno: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EISCONN, EALREADY,
    // EPIPE, EADDRNOTAVAIL, EHOSTUNREACH, EINVAL for not_listening)
    connection_refused,     // RST in answer to our SYN
    connection_reset,       // RST on an established connection
    timed_out,              // retransmissions or keepalive probes exhausted
    already_connected,      // connect or listen on a connected socket
    in_progress,            // connect already started, not finished
    shut_down,              // send after shutdown(write) or close
    address_not_available,  // bind to an address that is not ours
    host_unreachable,       // ICMP unreachable (host, net) while connecting
    not_listening,          // accept on a socket that does not listen
};
const char* describe(SocketError error);

// Readiness, reported edge-style through Stack::take_events(): a socket is listed when it
// becomes readable (its queue went from empty to not empty; for TCP also when the peer's
// FIN makes tcp_receive return 0), has an error to report, and for TCP: becomes writable
// (send buffer space freed after tcp_send would have blocked), connected (a tcp_connect
// completed), acceptable (a listener's accept queue went from empty to not empty), closed
// (the connection is over: both FINs acknowledged, reset or timed out), urgent (the peer's
// urgent pointer is new or moved ahead of the reader: RFC 9293 MUST-32, SIGURG's moment).
enum SocketEventBits : std::uint8_t {
    socket_readable = 1,
    socket_error = 2,
    socket_writable = 4,
    socket_connected = 8,
    socket_acceptable = 16,
    socket_closed = 32,
    socket_urgent = 64,
};
struct SocketEvent {
    SocketId socket = 0;
    std::uint8_t bits = 0;
};

struct Datagram {
    std::size_t size = 0;       // bytes copied into the caller's buffer
    std::size_t full_size = 0;  // the datagram's size (> size: truncated, rest discarded)
    Endpoint from{};
    Endpoint to{};  // the local address it was sent to (which of ours, or broadcast)
    InterfaceId interface = 0;
};

struct EchoReply {
    IpAddress from{};
    std::uint16_t id = 0;
    std::uint16_t seq = 0;
    std::size_t payload_size = 0;
    std::uint8_t ttl = 0;  // IPv6: the hop limit
    Instant received{};
    bool payload_ok = true;  // the payload matched what we sent
};

// An ICMP error that concerned one of our sockets (port unreachable after a UDP send, ...).
struct IcmpError {
    IpAddress from{};
    std::uint8_t type = 0;
    std::uint8_t code = 0;
};

class Stack {
  public:
    explicit Stack(StackConfig config = {});
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    const StackConfig& config() const;

    // --- configuration (the daemon changes these only under stop_machine) -----------------
    // The device must outlive the interface.
    std::expected<InterfaceId, ConfigError> add_interface(const InterfaceConfig& config,
                                                          Device& device);
    // Removes its addresses, routes, neighbours and pending packets.
    std::expected<void, ConfigError> remove_interface(InterfaceId id);
    std::expected<void, ConfigError> set_up(InterfaceId id, bool up, Instant now);
    std::expected<void, ConfigError> set_promiscuous(InterfaceId id, bool on);
    // IP MTU from 68 up to what the device carries (max_frame() - 14, at most 65,535);
    // invalid otherwise. Datagrams sent from now on are fragmented to it.
    std::expected<void, ConfigError> set_mtu(InterfaceId id, std::size_t mtu);
    // What a loopback interface skips (LoopbackShortcuts); invalid for any other interface.
    std::expected<void, ConfigError> set_loopback_shortcuts(InterfaceId id,
                                                            LoopbackShortcuts shortcuts);
    // Whether packets not addressed to us are routed on (StackConfig::forwarding).
    void set_forwarding(bool on);
    std::optional<InterfaceId> find_interface(std::string_view name) const;
    std::vector<InterfaceInfo> interfaces() const;

    // Adds the address and its on-link route (the prefix), and announces it with a
    // gratuitous ARP (shard 0 only; never on a loopback interface). 127/8 only on a loopback
    // interface (invalid elsewhere).
    std::expected<void, ConfigError> add_address(InterfaceId id, Ipv4Cidr address, Instant now);
    std::expected<void, ConfigError> remove_address(InterfaceId id, Ipv4Cidr address);
    // An IPv6 address and its on-link route (a prefix shorter than 128). It is tentative
    // while Duplicate Address Detection runs (Ipv6Config::dad_transmits, shard 0 sends the
    // solicitations; every shard watches for a conflict), then preferred and announced with
    // an unsolicited Neighbor Advertisement (RFC 4861 7.2.6). Multicast, loopback (::1 on a
    // loopback interface only), v4-mapped and unspecified addresses are invalid.
    std::expected<void, ConfigError> add_address(InterfaceId id, Ipv6Cidr address, Instant now);
    std::expected<void, ConfigError> remove_address(InterfaceId id, Ipv6Cidr address);
    // Either of the above, by the family of `address`.
    std::expected<void, ConfigError> add_address(InterfaceId id, const IpCidr& address,
                                                 Instant now);
    std::expected<void, ConfigError> remove_address(InterfaceId id, const IpCidr& address);

    std::expected<void, ConfigError> add_route(const Route& route);
    std::expected<void, ConfigError> remove_route(const Route& route);
    std::vector<Route> routes() const;
    // Longest-prefix match, then lowest metric: where a packet to `dst` would go.
    std::optional<Route> lookup_route(Ipv4Address dst) const;
    std::expected<void, ConfigError> add_route(const Ipv6Route& route);
    std::expected<void, ConfigError> remove_route(const Ipv6Route& route);
    std::vector<Ipv6Route> routes6() const;
    std::optional<Ipv6Route> lookup_route(const Ipv6Address& dst) const;
    // Makes the interface an advertising router interface (RFC 4861 6.2.2): it joins the
    // all-routers group, answers Router Solicitations and advertises `config` from its
    // link-local address once that is usable, then at random times between the intervals
    // (shard 0 sends). nullopt stops it: a last advertisement with a router lifetime of 0
    // tells hosts to stop using us (6.2.5). invalid: a prefix that is link-local,
    // multicast or longer than 64 bits, or intervals out of RFC 4861 6.2.1's bounds.
    std::expected<void, ConfigError> set_router_advertisements(
        InterfaceId id, std::optional<RouterAdvertConfig> config, Instant now);
    // Routes learnt from Router Advertisements (default routers, on-link prefixes) carry
    // this metric, so a configured route to the same prefix is preferred (Linux's 1024).
    static constexpr std::uint32_t advertised_route_metric = 1024;
    // The address a datagram or connection to `dst` would leave from: `bound` when it is
    // not the wildcard, else the one source selection picks for the route (nullopt: no
    // route). What getsockname() shows for an unbound socket after connect().
    std::optional<IpAddress> source_address(const IpAddress& dst,
                                            const IpAddress& bound = {}) const;

    std::vector<NeighbourEntry> neighbours() const;
    void flush_neighbours(std::optional<InterfaceId> id = std::nullopt);
    // Upper-layer reachability confirmation (RFC 4861 7.3.1; Linux's neigh_confirm): forward
    // progress with `neighbour` (the next hop), such as TCP's ACK of new data, proves its
    // cached MAC works, so the entry becomes reachable again without ARP probes. Confirms
    // only this stack's (shard's) cache; false when there is no entry with a MAC to confirm.
    bool confirm_neighbour(InterfaceId id, Ipv4Address neighbour, Instant now);

    // --- address conflict detection (RFC 5227) ----------------------------------------------
    // Before configuring `address`: sends probe_count ARP probes (sender IP 0.0.0.0, target
    // the address, broadcast) spread over config.arp.probe_wait and watches for a conflict
    // (address_probe()). Call from one shard (the daemon uses shard 0); a probe again for the
    // same address starts over. invalid for an address add_address would refuse, exists for
    // one of ours.
    std::expected<void, ConfigError> probe_address(InterfaceId id, Ipv4Address address,
                                                   Instant now);
    // The probe's status (nullopt: no probe for it). Kept until end_probe(), add_address()
    // of that address or the interface's removal.
    std::optional<AddressProbeStatus> address_probe(InterfaceId id, Ipv4Address address,
                                                    Instant now) const;
    void end_probe(InterfaceId id, Ipv4Address address);
    // Conflicts with configured addresses seen since the last call, oldest first (at most
    // 64 kept), appended to `out` (cleared first). Shard 0 alone records, counts
    // (arp.address_conflicts) and defends them: one gratuitous ARP, at most once per
    // defend_interval per address (RFC 5227 2.4 (b)); the address stays ours.
    void take_address_conflicts(std::vector<AddressConflict>& out);

    // --- data path --------------------------------------------------------------------------
    // Handles one received Ethernet frame. Always consumes: the bytes are only borrowed for
    // the call; bad frames are counted and dropped.
    void receive(InterfaceId id, std::span<const std::byte> frame, Instant now);
    // Frames received together (one read of a bus): while one of these lives, receive()
    // leaves what it sends in the devices, and the ACK that TCP's every-second-segment rule
    // (RFC 5681 4.2) calls for waits too; its end sends one ACK per connection that owes one
    // (at most every 64 KiB, as Linux's GRO aggregates) and flushes the devices once. A
    // stream's ACKs and the data they release then leave in one bus write per batch instead
    // of one per frame. Out-of-order data, duplicates and FINs are still answered at once.
    class ReceiveBatch {
      public:
        ReceiveBatch(Stack& stack, Instant now);
        ~ReceiveBatch();
        ReceiveBatch(const ReceiveBatch&) = delete;
        ReceiveBatch& operator=(const ReceiveBatch&) = delete;

      private:
        Stack& stack_;
        Instant now_;
    };
    // Would receive() of this frame only count it as another shard's? True for a TCP segment
    // to one of our addresses (unfragmented; IPv6 without extension headers) whose 4-tuple
    // another shard owns; false for everything else, for any doubt, and with one shard. Reads
    // the headers only (a few loads, no checksum), so a reader that sees every frame of a bus
    // can pass such frames by without copying them: it must then not feed them at all, and
    // this shard's Ethernet and IP receive counters leave them out. `frame` may be torn (read
    // in place while a writer laps the reader): the verdict is then wrong, never unsafe.
    bool owned_elsewhere(InterfaceId id, std::span<const std::byte> frame) const;
    // Runs timers due at `now`: ARP retries and expiry, reassembly timeouts.
    void poll(Instant now);
    // The next instant poll() has something to do, if any.
    std::optional<Instant> poll_at() const;

    // --- UDP sockets --------------------------------------------------------------------------
    std::expected<SocketId, SocketError> udp_open();
    // Port 0 picks a free ephemeral port (one this shard owns); address any accepts
    // datagrams to any of our addresses and to broadcast.
    std::expected<Endpoint, SocketError> udp_bind(SocketId s, Endpoint local);
    // Fixes the peer: send() goes there and only its datagrams are received. Binds first
    // when unbound.
    std::expected<void, SocketError> udp_connect(SocketId s, Endpoint remote);
    // connect(AF_UNSPEC): forgets the peer; the socket stays bound and receives from anyone.
    std::expected<void, SocketError> udp_disconnect(SocketId s);
    std::expected<void, SocketError> udp_send_to(SocketId s, std::span<const std::byte> payload,
                                                 Endpoint to, Instant now);
    std::expected<void, SocketError> udp_send(SocketId s, std::span<const std::byte> payload,
                                              Instant now);
    std::expected<Datagram, SocketError> udp_receive(SocketId s, std::span<std::byte> buffer);
    std::expected<Endpoint, SocketError> udp_local(SocketId s) const;
    // Datagrams and bytes queued; queue overflows counted per socket.
    struct UdpSocketInfo {
        Endpoint local{};
        std::optional<Endpoint> remote{};
        std::size_t queued_datagrams = 0;
        std::size_t queued_bytes = 0;
        std::uint64_t received = 0;
        std::uint64_t sent = 0;
        std::uint64_t dropped_queue_full = 0;
    };
    std::expected<UdpSocketInfo, SocketError> udp_info(SocketId s) const;
    void udp_set_queue_limits(SocketId s, std::size_t datagrams, std::size_t bytes);
    // SO_REUSEADDR, for the next bind: sockets that all set it may bind the same address and
    // port (see transport/udp_socket_table.hpp for which one a datagram then goes to).
    void udp_set_reuse_address(SocketId s, bool reuse);
    // IPV6_V6ONLY, before the socket is bound (else invalid, as Linux's EINVAL): a bind to ::
    // then takes IPv6 only and shares its port with 0.0.0.0; IPv4 addresses are refused
    // (bind: invalid; connect, send: no_route, as Linux's ENETUNREACH).
    std::expected<void, SocketError> udp_set_v6_only(SocketId s, bool v6_only);

    // --- ICMP echo (ping) sockets -------------------------------------------------------------
    // An echo socket owns one echo id (chosen so this shard owns its replies).
    std::expected<SocketId, SocketError> ping_open();
    std::expected<std::uint16_t, SocketError> ping_id(SocketId s) const;
    // Sends an echo request with `payload_size` bytes of a known pattern; DF is not set, so
    // large pings fragment.
    // IPv4 (ICMP echo) or IPv6 (ICMPv6 echo, RFC 4443 4.1), by the family of `to`.
    std::expected<void, SocketError> ping_send(SocketId s, const IpAddress& to, std::uint16_t seq,
                                               std::size_t payload_size, Instant now);
    std::expected<EchoReply, SocketError> ping_receive(SocketId s);

    // --- TCP sockets (RFC 9293; see tcp.hpp and the sharding rule at the top) ----------------
    std::expected<SocketId, SocketError> tcp_open();
    // Port 0 picks a free ephemeral port; address any listens on all our addresses.
    std::expected<Endpoint, SocketError> tcp_bind(SocketId s, Endpoint local);
    // Half-open connections beyond config.tcp.syn_queue are answered with SYN cookies;
    // established ones beyond `backlog` wait in SYN-RECEIVED (their ACK is dropped) as Linux.
    std::expected<void, SocketError> tcp_listen(SocketId s, std::size_t backlog);
    // An established connection from the accept queue (would_block when empty).
    std::expected<SocketId, SocketError> tcp_accept(SocketId listener);
    // Starts the handshake (binds an ephemeral port this shard owns when unbound) and returns;
    // completion raises socket_connected, failure socket_error with tcp_take_error() telling
    // why (connection_refused, timed_out, host_unreachable, no_route).
    std::expected<void, SocketError> tcp_connect(SocketId s, Endpoint remote, Instant now);
    // Copies what fits in the send buffer and returns its size; would_block when nothing fit
    // (socket_writable is raised when space frees up). Also allowed in SYN-SENT (queued).
    std::expected<std::size_t, SocketError> tcp_send(SocketId s, std::span<const std::byte> data,
                                                     Instant now);
    // In-order bytes; 0 means the peer closed its side (end of stream); would_block when
    // nothing is there yet. Reading opens the window (a window update is sent when it grew
    // by at least an MSS or half the buffer, RFC 9293 3.8.6.2.2).
    std::expected<std::size_t, SocketError> tcp_receive(SocketId s, std::span<std::byte> buffer,
                                                        Instant now);
    // Urgent data (send MSG_OOB; RFC 9293 3.8.5): as tcp_send, and the urgent pointer marks
    // the end of what was taken. Segments carry it until the peer acknowledges that far, and
    // go out without waiting for Nagle.
    std::expected<std::size_t, SocketError> tcp_send_urgent(SocketId s,
                                                            std::span<const std::byte> data,
                                                            Instant now);
    // The peer's urgent state. tcp_receive stops at the mark (the last urgent byte) and,
    // unless oob_inline, skips it there: it is read here instead (recv MSG_OOB), once;
    // invalid when there is none, it was read or oob_inline is set, would_block while the
    // pointer came ahead of the byte. Reading past the mark without taking it loses it, as
    // in Linux.
    std::expected<TcpUrgent, SocketError> tcp_urgent(SocketId s) const;
    std::expected<std::byte, SocketError> tcp_receive_urgent(SocketId s);
    // tcp_send and tcp_receive in halves, for a splice that moves bytes between a descriptor
    // and a connection itself: a read(2) straight into the send buffer, a write(2) straight
    // from the receive buffer, no copy between. tcp_send_space: free send buffer for up to
    // `max` bytes, or tcp_send's error (would_block when full, socket_writable following);
    // tcp_send_commit: its first n bytes are data, as tcp_send (`urgent`: tcp_send_urgent).
    // tcp_receive_view: what tcp_receive would return next, in place, empty at the end of
    // stream, or tcp_receive's error; tcp_receive_commit: n bytes of it were read. A span is
    // valid until the next call on this stack.
    std::expected<std::span<std::byte>, SocketError> tcp_send_space(SocketId s, std::size_t max);
    std::expected<void, SocketError> tcp_send_commit(SocketId s, std::size_t n, Instant now,
                                                     bool urgent = false);
    std::expected<std::span<const std::byte>, SocketError> tcp_receive_view(SocketId s);
    std::expected<void, SocketError> tcp_receive_commit(SocketId s, std::size_t n, Instant now);
    std::expected<void, SocketError> tcp_shutdown(SocketId s, ShutdownHow how, Instant now);
    // Graceful close: the id is released at once; queued data is still delivered and the
    // connection finishes on its own (FIN, then TIME-WAIT or LAST-ACK). Unread received data
    // or linger_zero make it an abort instead (RFC 9293 / RFC 2525 2.17).
    std::expected<void, SocketError> tcp_close(SocketId s, Instant now);
    // Sends a RST and releases everything at once.
    std::expected<void, SocketError> tcp_abort(SocketId s, Instant now);
    std::expected<void, SocketError> tcp_set_options(SocketId s, const TcpSocketOptions& options);
    std::expected<TcpSocketOptions, SocketError> tcp_options(SocketId s) const;
    std::expected<TcpInfo, SocketError> tcp_info(SocketId s) const;
    // Every connection this stack holds: listeners, half-open, established, closing ones
    // whose socket was closed, TIME-WAIT.
    std::vector<TcpInfo> tcp_connections() const;
    // The pending error of a TCP socket (SO_ERROR), cleared by reading.
    std::optional<SocketError> tcp_take_error(SocketId s);

    // UDP or ping sockets (TCP: tcp_close). Closing releases the port or echo id and drops
    // what is queued.
    std::expected<void, SocketError> close(SocketId s);
    // The last ICMP error reported for this socket (cleared by reading).
    std::optional<IcmpError> take_error(SocketId s);

    // Readiness changes since the last call, appended to `out` (cleared first).
    void take_events(std::vector<SocketEvent>& out);

    // --- statistics -------------------------------------------------------------------------
    const StackStats& stats() const;

  private:
    std::expected<std::size_t, SocketError> tcp_send_marked(SocketId s,
                                                            std::span<const std::byte> data,
                                                            Instant now, bool urgent);

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace netstack
