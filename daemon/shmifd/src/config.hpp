// The daemon's configuration: what the TOML file, the quick command-line form and the
// no-argument default all produce, and what the running daemon reports through `config`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "advertise_spec.hpp"
#include "config_error.hpp"
#include "forward/forward_spec.hpp"
#include "impair/settings.hpp"
#include "netstack/address.hpp"
#include "netstack/stack.hpp"
#include "services/service_spec.hpp"
#include "shmif/bus.hpp"

namespace shmifd {

struct DaemonSettings {
    std::string socket;  // control socket path
    std::optional<std::string> socket_group;
    std::size_t workers = 0;  // 0 = one per CPU
    // Each worker on a CPU of its own (engine::PoolOptions::pin). Off: the scheduler moves
    // them. On a machine busy with other work (a CI runner's parallel jobs), a pinned worker
    // waits a time slice behind whatever shares its CPU: two CPU hogs beside a forward gave
    // its request-response round trip 4 ms pinned, 68 us unpinned (the same when idle).
    bool pin_workers = true;
    std::string log_level = "info";
    // On SIGTERM: how long requests in flight may still run before they are answered
    // shutting_down (the drain time).
    std::uint32_t drain_ms = 5000;
    // The loopback interface `lo` (127.0.0.1/8 on a bus private to the daemon, read by every
    // worker); false: none, and traffic to our own addresses stays within the worker that
    // sends it.
    bool loopback = true;
    // Live connections (and UDP flows) of all port forwards together; more are refused.
    std::size_t forward_max_connections = 16384;
};

struct InterfaceSpec {
    std::string name;
    std::string bus;  // path of the bus file
    shmif::Format format = shmif::Format::native;
    bool create = true;  // create the bus file when missing
    std::optional<netstack::MacAddress> mac;
    std::size_t mtu = 0;  // 0 = 1500 (Ethernet), or less if the bus carries less
    bool promisc = false;
    bool up = true;
    // IPv4 and IPv6 ("10.0.0.1/24", "2001:db8::1/64"); the IPv6 link-local address comes
    // from the MAC on its own.
    std::vector<netstack::IpCidr> addresses;
    // netem-style impairments (impair/settings.hpp), both none by default.
    shmif::impair::Settings impair_egress;
    shmif::impair::Settings impair_ingress;
    std::optional<AdvertiseSpec> advertise;
    bool operator==(const InterfaceSpec&) const = default;
};

struct RouteSpec {
    netstack::IpCidr dst;  // network form: host bits cleared; the family of the route
    std::optional<netstack::IpAddress> via;  // of dst's family
    std::optional<std::string> interface;    // required when there is no gateway
    std::uint32_t metric = 0;
    bool operator==(const RouteSpec&) const = default;
};

struct Config {
    DaemonSettings daemon;
    std::vector<InterfaceSpec> interfaces;
    std::vector<RouteSpec> routes;
    std::vector<services::ServiceSpec> services;  // [[service]] and --serve
    std::vector<forward::ForwardSpec> forwards;   // [[forward]], [[expose]], --forward, --expose
    // Shard and seed are set per worker by the daemon. IPv6 is on, as in Linux (the library's
    // default is off).
    netstack::StackConfig stack{.ipv6 = {.enabled = true}};
    std::optional<std::string> file;  // where it came from, for reloads
};

// Reads and validates a TOML file (see systemd/example.toml). Throws ConfigError.
// The first interface (in file order) with an address whose network holds `via`: where a
// route given only a gateway goes. A link-local IPv6 gateway: the only interface, if one.
std::optional<std::string> interface_for_gateway(const std::vector<InterfaceSpec>& interfaces,
                                                 const netstack::IpAddress& via);
Config load_config_file(const std::string& path);
// The same from text; `origin` names it in messages.
Config parse_config(std::string_view text, const std::string& origin);

// The keys of the file format, for the check of its documentation (man/shmifd.toml.5.in,
// daemon/tests/config_man_page_test.cpp): what parse_config asks for while it reads
// `document`, a valid file, as dotted paths ("daemon", "daemon.socket", "stack.arp.retry_ms",
// "interface.name", "forward.spec"). The keys of a table are asked for only when the table
// is there: `absent` lists what was asked for but missing, so a document that leaves `absent`
// empty has shown every key. Throws ConfigError as parse_config does.
struct ConfigKeys {
    std::vector<std::string> read;    // asked for and present, sorted
    std::vector<std::string> absent;  // asked for, not in the document, sorted
};
ConfigKeys config_keys(std::string_view document);

// "default" (0.0.0.0/0, or ::/0 when `family` is IPv6), "a.b.c.d/n" or "x:x::x/n" with the
// host bits cleared (a route's destination).
std::optional<netstack::IpCidr> parse_route_destination(
    std::string_view text, netstack::IpFamily family = netstack::IpFamily::v4);

}  // namespace shmifd
