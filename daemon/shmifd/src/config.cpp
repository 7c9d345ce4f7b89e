#include "config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "logging.hpp"
#include "toml_table_reader.hpp"

namespace shmifd {

namespace {

constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kDay = 24LL * 3600 * 1000;

void read_daemon(TableReader r, DaemonSettings& d) {
    if (auto v = r.string("socket")) {
        if (v->empty()) r.fail_here("daemon.socket must not be empty");
        d.socket = *v;
    }
    if (auto v = r.string("socket_group")) d.socket_group = *v;
    r.integer_into("workers", d.workers, 0, 1024);
    if (auto v = r.boolean("pin_workers")) d.pin_workers = *v;
    r.integer_into("drain_ms", d.drain_ms, 0, 600'000);
    if (auto v = r.boolean("loopback")) d.loopback = *v;
    r.integer_into("forward_max_connections", d.forward_max_connections, 1, 1'000'000);
    if (auto v = r.string("log_level")) {
        if (!is_log_level(*v))
            r.fail(*r.get("log_level"), "daemon.log_level must be " + log_level_list());
        d.log_level = *v;
    }
    r.finish();
}

void read_stack(TableReader r, netstack::StackConfig& s, const std::string& origin) {
    if (auto v = r.boolean("forwarding")) s.forwarding = *v;
    r.integer_into("ttl", s.default_ttl, 1, 255);
    if (auto v = r.boolean("ipv6")) s.ipv6.enabled = *v;
    if (auto v = r.boolean("accept_ra")) s.ipv6.accept_ra = *v;
    r.integer_into("hop_limit", s.ipv6.default_hop_limit, 1, 255);
    r.integer_into("dad_transmits", s.ipv6.dad_transmits, 0, 10);
    r.integer_into("udp_queue_datagrams", s.udp_rx_queue_datagrams, 1, 1 << 20);
    r.integer_into("udp_queue_bytes", s.udp_rx_queue_bytes, 1, 1LL << 30);
    if (const auto* t = r.table("arp")) {
        TableReader a(*t, origin, "stack.arp");
        a.millis_into("reachable_ms", s.arp.reachable_time, 1, kDay);
        a.millis_into("stale_ms", s.arp.stale_time, 1, kDay);
        a.millis_into("retry_ms", s.arp.retry_interval, 1, kDay);
        a.integer_into("max_retries", s.arp.max_retries, 1, 100);
        a.millis_into("delay_first_probe_ms", s.arp.delay_first_probe, 0, kDay);
        a.integer_into("ucast_probes", s.arp.ucast_probes, 0, 100);
        a.millis_into("probe_wait_ms", s.arp.probe_wait, 0, 60000);
        a.integer_into("probe_count", s.arp.probe_count, 1, 100);
        a.millis_into("defend_interval_ms", s.arp.defend_interval, 0, kDay);
        a.integer_into("max_entries", s.arp.max_entries, 1, 1 << 20);
        a.integer_into("max_pending_per_entry", s.arp.max_pending_per_entry, 0, 1 << 16);
        a.integer_into("max_pending_total", s.arp.max_pending_total, 0, 1 << 20);
        a.finish();
    }
    if (const auto* t = r.table("reassembly")) {
        TableReader a(*t, origin, "stack.reassembly");
        a.millis_into("timeout_ms", s.reassembly.timeout, 1, kDay);
        a.integer_into("max_bytes", s.reassembly.max_bytes, 0, 1LL << 32);
        a.integer_into("max_datagrams", s.reassembly.max_datagrams, 0, 1 << 20);
        a.finish();
    }
    if (const auto* t = r.table("icmp")) {
        TableReader a(*t, origin, "stack.icmp");
        a.integer_into("per_second", s.icmp.per_second, 0, kMaxU32);
        a.integer_into("burst", s.icmp.burst, 0, kMaxU32);
        a.finish();
    }
    r.finish();
}

// [interface.advertise]: prefixes (required), router_lifetime, min_interval, max_interval,
// valid_lifetime, preferred_lifetime (seconds), mtu.
AdvertiseSpec read_advertise(TableReader r, const toml::table& table, const std::string& name) {
    const std::string what = "interface " + name + ": advertise: ";
    AdvertiseSpec a;
    const auto* list = r.array("prefixes");
    if (!list) r.fail(table, what + "prefixes is required ([\"2001:db8:1::/64\"])");
    for (const auto& node : *list) {
        auto text = node.value<std::string>();
        std::string why = "prefixes must be strings";
        auto prefix = text ? parse_advertised_prefix(*text, why) : std::nullopt;
        if (!prefix) r.fail(node, what + why);
        a.prefixes.push_back(*prefix);
    }
    if (auto v = r.integer("router_lifetime", 0, 9000))
        a.router_lifetime = static_cast<std::uint32_t>(*v);
    r.integer_into("min_interval", a.min_interval, 3, 1350);
    r.integer_into("max_interval", a.max_interval, 4, 1800);
    r.integer_into("valid_lifetime", a.valid_lifetime, 0, kMaxU32);
    r.integer_into("preferred_lifetime", a.preferred_lifetime, 0, kMaxU32);
    if (auto v = r.boolean("mtu")) a.mtu = *v;
    if (auto why = check_advertise(a); !why.empty()) r.fail(table, what + why);
    r.finish();
    return a;
}

InterfaceSpec read_interface(TableReader r, const toml::table& table, const std::string& origin) {
    InterfaceSpec i;
    auto name = r.string("name");
    if (!name || name->empty()) r.fail(table, "interface: name is required");
    if (name->size() > 32) r.fail(*r.get("name"), "interface name longer than 32 characters");
    i.name = *name;
    auto bus = r.string("bus");
    if (!bus || bus->empty()) r.fail(table, "interface " + i.name + ": bus is required");
    i.bus = *bus;
    if (auto v = r.string("format")) {
        auto f = shmif::parse_format(*v);
        if (!f)
            r.fail(*r.get("format"), "interface " + i.name + ": format must be native or netbsd");
        i.format = *f;
    }
    if (auto v = r.boolean("create")) i.create = *v;
    if (auto v = r.string("mac")) {
        i.mac = netstack::MacAddress::parse(*v);
        if (!i.mac || i.mac->is_multicast() || i.mac->is_zero())
            r.fail(*r.get("mac"), "interface " + i.name + ": mac must be a unicast MAC, not " + *v);
    }
    r.integer_into("mtu", i.mtu, 68, 65535);
    if (auto v = r.boolean("promisc")) i.promisc = *v;
    if (auto v = r.boolean("up")) i.up = *v;
    for (auto [key, into] : {std::pair{"impair_egress", &i.impair_egress},
                             std::pair{"impair_ingress", &i.impair_ingress}}) {
        if (auto v = r.string(key)) {
            auto settings = shmif::impair::parse_netem(*v);
            if (!settings)
                r.fail(*r.get(key), "interface " + i.name + ": " + key + ": " + settings.error());
            *into = *settings;
        }
    }
    if (const auto* list = r.array("addresses")) {
        for (const auto& node : *list) {
            auto text = node.value<std::string>();
            auto cidr = text ? netstack::IpCidr::parse(*text) : std::nullopt;
            if (!cidr)
                r.fail(node, "interface " + i.name +
                                 ": addresses must be \"a.b.c.d/n\" or \"x:x::x/n\" strings");
            // Caught here, not halfway through applying the file.
            if (std::find(i.addresses.begin(), i.addresses.end(), *cidr) != i.addresses.end())
                r.fail(node, "interface " + i.name + ": address " + *text + " is given twice");
            i.addresses.push_back(*cidr);
        }
    }
    if (const auto* t = r.table("advertise"))
        i.advertise = read_advertise(TableReader(*t, origin, "interface.advertise"), *t, i.name);
    r.finish();
    return i;
}

RouteSpec read_route(TableReader r, const toml::table& table) {
    RouteSpec route;
    auto dst = r.string("dst");
    if (!dst) r.fail(table, "route: dst is required (a.b.c.d/n, x:x::x/n or \"default\")");
    if (auto v = r.string("via")) {
        route.via = netstack::IpAddress::parse(*v);
        if (!route.via) r.fail(*r.get("via"), "route: via must be an IP address, not " + *v);
    }
    const auto family = route.via ? route.via->family() : netstack::IpFamily::v4;
    auto parsed = parse_route_destination(*dst, family);
    if (!parsed)
        r.fail(*r.get("dst"),
               "route: dst must be a network a.b.c.d/n or x:x::x/n (host bits clear) or "
               "\"default\", not " +
                   *dst);
    route.dst = *parsed;
    if (route.via && route.via->family() != route.dst.family())
        r.fail(*r.get("via"),
               "route: via " + route.via->to_string() + " is not of the family of " + *dst);
    route.interface = r.string("if");
    if (!route.via && !route.interface) r.fail(table, "route: needs via, if, or both");
    r.integer_into("metric", route.metric, 0, kMaxU32);
    r.finish();
    return route;
}

// [[service]]: kind (required), port (default: the kind's), proto (tcp, udp or both).
services::ServiceSpec read_service(TableReader r, const toml::table& table) {
    auto kind_text = r.string("kind");
    if (!kind_text) r.fail(table, "service: kind is required (echo, discard, chargen, http)");
    auto kind = services::parse_kind(*kind_text);
    if (!kind)
        r.fail(*r.get("kind"),
               "service: kind must be echo, discard, chargen or http, not " + *kind_text);
    services::ServiceSpec spec{.kind = *kind,
                               .port = services::default_port(*kind),
                               .transport = services::default_transport(*kind)};
    r.integer_into("port", spec.port, 1, 65535);
    if (auto v = r.string("proto")) {
        auto transport = services::parse_transport(*v);
        if (!transport) r.fail(*r.get("proto"), "service: proto must be tcp, udp or both");
        spec.transport = *transport;
    }
    if (auto why = services::check_service(spec); !why.empty()) r.fail(table, "service: " + why);
    r.finish();
    return spec;
}

// [[forward]] and [[expose]]: spec (required, the text form), max_connections,
// udp_timeout_ms.
forward::ForwardSpec read_forward(TableReader r, const toml::table& table,
                                  forward::Direction direction) {
    const std::string what = forward::direction_name(direction);
    auto text = r.string("spec");
    if (!text)
        r.fail(table, what + ": spec is required (" +
                          (direction == forward::Direction::inbound
                               ? "tcp:127.0.0.1:8080=10.0.0.2:80)"
                               : "tcp:10.0.0.1:5432=127.0.0.1:5432)"));
    auto spec = forward::parse_forward(*text, direction);
    if (!spec) r.fail(*r.get("spec"), spec.error());
    r.integer_into("max_connections", spec->max_connections, 1, 1'000'000);
    if (spec->protocol == forward::Protocol::tcp && r.get("udp_timeout_ms") != nullptr)
        r.fail(*r.get("udp_timeout_ms"), what + ": udp_timeout_ms is for udp forwards");
    r.integer_into("udp_timeout_ms", spec->udp_timeout_ms, 100, 86'400'000);
    r.finish();
    return *spec;
}

}  // namespace

std::optional<netstack::IpCidr> parse_route_destination(std::string_view text,
                                                        netstack::IpFamily family) {
    if (text == "default")
        return family == netstack::IpFamily::v4 ? netstack::IpCidr(netstack::Ipv4Cidr{{}, 0})
                                                : netstack::IpCidr(netstack::Ipv6Cidr{{}, 0});
    if (text.find('/') == std::string_view::npos) return std::nullopt;
    auto cidr = netstack::IpCidr::parse(text);
    if (!cidr || cidr->address != cidr->network()) return std::nullopt;
    return cidr;
}

std::optional<std::string> interface_for_gateway(const std::vector<InterfaceSpec>& interfaces,
                                                 const netstack::IpAddress& via) {
    // A link-local router (fe80::1, as IPv6 names routers) is on every link: only a single
    // interface settles which.
    if (via.is_v6() && via.v6().is_link_local())
        return interfaces.size() == 1 ? std::optional(interfaces.front().name) : std::nullopt;
    for (const auto& i : interfaces)
        for (const auto& a : i.addresses)
            if (a.contains(via)) return i.name;
    return std::nullopt;
}

Config parse_config(std::string_view text, const std::string& origin) {
    const toml::table root = parse_toml(text, origin);
    Config config;
    config.file = origin;
    TableReader r(root, origin, "");
    if (const auto* t = r.table("daemon"))
        read_daemon(TableReader(*t, origin, "daemon"), config.daemon);
    if (const auto* t = r.table("stack"))
        read_stack(TableReader(*t, origin, "stack"), config.stack, origin);
    if (const auto* list = r.array("interface"))
        each_table(*list, origin, "interface", [&](const toml::table& t) {
            config.interfaces.push_back(
                read_interface(TableReader(t, origin, "interface"), t, origin));
        });
    if (const auto* list = r.array("route"))
        each_table(*list, origin, "route", [&](const toml::table& t) {
            config.routes.push_back(read_route(TableReader(t, origin, "route"), t));
        });
    if (const auto* list = r.array("service"))
        each_table(*list, origin, "service", [&](const toml::table& t) {
            auto spec = read_service(TableReader(t, origin, "service"), t);
            for (const auto& other : config.services)
                if (services::conflicts(other, spec))
                    throw ConfigError(at(origin, t.source()) + "service " + spec.to_string() +
                                      ": the port is already served by " + other.to_string());
            config.services.push_back(spec);
        });
    for (const auto direction : {forward::Direction::inbound, forward::Direction::outbound}) {
        const std::string what = forward::direction_name(direction);
        const auto* list = r.array(what);
        if (!list) continue;
        each_table(*list, origin, what, [&](const toml::table& t) {
            auto spec = read_forward(TableReader(t, origin, what), t, direction);
            for (const auto& other : config.forwards)
                if (forward::overlaps(other, spec))
                    throw ConfigError(at(origin, t.source()) + spec.name() +
                                      ": its ports overlap " + other.name());
            config.forwards.push_back(spec);
        });
    }
    r.finish();

    // Cross-checks name the line of the entry that breaks them.
    std::set<std::string> names, buses;
    std::size_t index = 0;
    if (const auto* list = root["interface"].as_array()) {
        for (const auto& node : *list) {
            const auto& spec = config.interfaces[index++];
            if (!names.insert(spec.name).second)
                throw ConfigError(at(origin, node.source()) + "interface " + spec.name +
                                  " is defined twice");
            if (!buses.insert(spec.bus).second)
                throw ConfigError(at(origin, node.source()) + "bus " + spec.bus +
                                  " is used by two interfaces");
        }
    }
    if (const auto* list = root["route"].as_array()) {
        index = 0;
        for (const auto& node : *list) {
            const auto& route = config.routes[index++];
            if (route.interface && !names.contains(*route.interface))
                throw ConfigError(at(origin, node.source()) + "route to " + route.dst.to_string() +
                                  ": no interface " + *route.interface);
            // A gateway alone names its interface by network, as the dataplane resolves it.
            if (!route.interface && route.via &&
                !interface_for_gateway(config.interfaces, *route.via))
                throw ConfigError(at(origin, node.source()) + "route to " + route.dst.to_string() +
                                  ": gateway " + route.via->to_string() +
                                  " is not on the network of any interface address");
        }
    }
    return config;
}

ConfigKeys config_keys(std::string_view document) {
    std::map<std::string, bool> asked;
    const KeyRecording recording(asked);
    parse_config(document, "config_keys");
    ConfigKeys keys;
    for (const auto& [key, present] : asked)
        (present ? keys.read : keys.absent).push_back(key);
    return keys;
}

Config load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > 1 << 20) throw ConfigError(path + ": larger than 1 MiB");
    return parse_config(text.str(), path);
}

}  // namespace shmifd
