#include "topology.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config.hpp"
#include "toml_table_reader.hpp"
#include "units.hpp"

namespace shmiflab {

namespace {

using shmifd::ConfigError;
using shmifd::TableReader;

std::string read_name(TableReader& r, const toml::table& table, const std::string& what) {
    auto name = r.string("name");
    if (!name) r.fail(table, what + ": name is required");
    if (!valid_name(*name))
        r.fail(*r.get("name"),
               what + " name \"" + *name + "\" must be 1 to 32 letters, digits, '-' or '_'");
    return *name;
}

BusSpec read_bus(TableReader r, const toml::table& table) {
    BusSpec bus;
    bus.name = read_name(r, table, "bus");
    if (auto v = r.string("format")) {
        auto format = shmif::parse_format(*v);
        if (!format)
            r.fail(*r.get("format"), "bus " + bus.name + ": format must be native or netbsd");
        bus.format = *format;
    }
    // 4096 or "8M", as shmifbus create --size.
    if (const auto* node = r.get("size")) {
        std::expected<std::uint64_t, std::string> size = std::unexpected("must be bytes or \"8M\"");
        if (auto n = node->value<std::int64_t>(); n && *n > 0)
            size = static_cast<std::uint64_t>(*n);
        if (auto text = node->value<std::string>()) size = shmifbus::parse_size(*text);
        if (!size) r.fail(*node, "bus " + bus.name + ": size " + size.error());
        bus.size = *size;
    }
    r.finish();
    return bus;
}

// An address a host may hold: not the network's or its broadcast, nor special.
bool host_address(const netstack::Ipv4Cidr& cidr) {
    const auto a = cidr.address;
    if (a.is_any() || a.is_broadcast() || a.is_multicast() || a.is_loopback()) return false;
    if (cidr.prefix_len == 0) return false;
    if (cidr.has_broadcast() && (a == cidr.network() || a == cidr.directed_broadcast()))
        return false;
    return true;
}

NodeInterface read_interface(TableReader r, const toml::table& table, const std::string& node) {
    NodeInterface i;
    auto bus = r.string("bus");
    if (!bus) r.fail(table, "node " + node + ": interface: bus is required");
    i.bus = *bus;
    if (const auto* list = r.array("addresses")) {
        for (const auto& entry : *list) {
            auto text = entry.value<std::string>();
            auto cidr = text ? netstack::Ipv4Cidr::parse(*text) : std::nullopt;
            if (!cidr || text->find('/') == std::string::npos)
                r.fail(entry, "node " + node + ": addresses must be \"a.b.c.d/n\" strings");
            if (!host_address(*cidr))
                r.fail(entry, "node " + node + ": " + *text + " is not a host address");
            i.addresses.push_back(*cidr);
        }
    }
    r.integer_into("mtu", i.mtu, 68, 65535);
    r.finish();
    return i;
}

NodeRoute read_route(TableReader r, const toml::table& table, const std::string& node) {
    NodeRoute route;
    auto dst = r.string("dst");
    if (!dst) r.fail(table, "node " + node + ": route: dst is required (a.b.c.d/n or \"default\")");
    auto parsed = shmifd::parse_route_destination(*dst);
    if (!parsed)
        r.fail(*r.get("dst"), "node " + node +
                                  ": route: dst must be a network a.b.c.d/n (host bits clear) "
                                  "or \"default\", not " +
                                  *dst);
    route.dst = *parsed;
    auto via = r.string("via");
    if (!via) r.fail(table, "node " + node + ": route: via is required (the gateway)");
    auto gateway = netstack::Ipv4Address::parse(*via);
    if (!gateway)
        r.fail(*r.get("via"), "node " + node + ": route: via must be an IPv4 address, not " + *via);
    route.via = *gateway;
    r.finish();
    return route;
}

Node read_node(TableReader r, const toml::table& table, const std::string& origin) {
    Node node;
    node.name = read_name(r, table, "node");
    r.integer_into("workers", node.workers, 1, 64);
    if (auto v = r.boolean("forwarding")) node.forwarding = *v;
    if (const auto* list = r.array("interface"))
        shmifd::each_table(*list, origin, "node.interface", [&](const toml::table& t) {
            node.interfaces.push_back(
                read_interface(TableReader(t, origin, "node.interface"), t, node.name));
        });
    if (const auto* list = r.array("route"))
        shmifd::each_table(*list, origin, "node.route", [&](const toml::table& t) {
            node.routes.push_back(read_route(TableReader(t, origin, "node.route"), t, node.name));
        });
    r.finish();
    if (node.interfaces.empty()) r.fail(table, "node " + node.name + ": no [[node.interface]]");
    return node;
}

// "ORIGIN:LINE: " of the n-th [[KEY]] table, or of the n-th [[node]]'s m-th [[node.SUB]];
// the file's first line should the table not be there (it always is: it was just read).
std::string where(const toml::table& root, const std::string& origin, const char* key,
                  std::size_t n, const char* sub = nullptr, std::size_t m = 0) {
    toml::node_view<const toml::node> view = root[key][n];
    if (sub != nullptr) view = view[sub][m];
    const toml::node* node = view.node();
    return node != nullptr ? shmifd::at(origin, node->source()) : origin + ":1: ";
}

// What needs the whole file: names unique, buses known, addresses unique, gateways reachable.
void cross_check(const Topology& lab, const toml::table& root, const std::string& origin) {
    std::set<std::string> buses, nodes;
    for (std::size_t b = 0; b < lab.buses.size(); ++b)
        if (!buses.insert(lab.buses[b].name).second)
            throw ConfigError(where(root, origin, "bus", b) + "bus " + lab.buses[b].name +
                              " is defined twice");
    std::map<netstack::Ipv4Address, std::string> owners;
    for (std::size_t n = 0; n < lab.nodes.size(); ++n) {
        const Node& node = lab.nodes[n];
        if (!nodes.insert(node.name).second)
            throw ConfigError(where(root, origin, "node", n) + "node " + node.name +
                              " is defined twice");
        std::set<std::string> attached;
        for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
            const auto& itf = node.interfaces[i];
            const auto line = where(root, origin, "node", n, "interface", i);
            if (!buses.contains(itf.bus))
                throw ConfigError(line + "node " + node.name + ": no bus " + itf.bus);
            if (!attached.insert(itf.bus).second)
                throw ConfigError(line + "node " + node.name + ": two interfaces on bus " +
                                  itf.bus);
            for (const auto& a : itf.addresses) {
                auto [it, fresh] = owners.emplace(a.address, node.name);
                if (!fresh)
                    throw ConfigError(line + "node " + node.name + ": address " +
                                      a.address.to_string() + " is also " + it->second + "'s");
            }
        }
        std::set<netstack::Ipv4Cidr> destinations;
        for (std::size_t r = 0; r < node.routes.size(); ++r) {
            const auto& route = node.routes[r];
            const auto line = where(root, origin, "node", n, "route", r);
            if (!destinations.insert(route.dst).second)
                throw ConfigError(line + "node " + node.name + ": a second route to " +
                                  route.dst.to_string());
            bool on_link = false, own = false;
            for (const auto& itf : node.interfaces)
                for (const auto& a : itf.addresses) {
                    on_link = on_link || a.contains(route.via);
                    own = own || a.address == route.via;
                }
            if (!on_link || own)
                throw ConfigError(
                    line + "node " + node.name + ": gateway " + route.via.to_string() +
                    (own ? " is the node's own address" : " is not on any of the node's subnets"));
        }
    }
}

Topology parse(std::string_view text, const std::string& origin, const std::string& default_name) {
    const toml::table root = shmifd::parse_toml(text, origin);
    TableReader r(root, origin, "");
    Topology lab;
    lab.name = default_name;
    if (const auto* t = r.table("lab")) {
        TableReader l(*t, origin, "lab");
        if (l.get("name") != nullptr) lab.name = read_name(l, *t, "lab");
        l.finish();
    }
    if (!valid_name(lab.name))
        throw ConfigError(origin + ": the lab's name \"" + lab.name +
                          "\" (the file's) is not usable: give [lab] name = \"...\"");
    if (const auto* list = r.array("bus"))
        shmifd::each_table(*list, origin, "bus", [&](const toml::table& t) {
            lab.buses.push_back(read_bus(TableReader(t, origin, "bus"), t));
        });
    if (const auto* list = r.array("node"))
        shmifd::each_table(*list, origin, "node", [&](const toml::table& t) {
            lab.nodes.push_back(read_node(TableReader(t, origin, "node"), t, origin));
        });
    r.finish();
    if (lab.nodes.empty()) throw ConfigError(origin + ": no [[node]]: a lab needs one at least");
    cross_check(lab, root, origin);
    return lab;
}

}  // namespace

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 32 || name.front() == '-') return false;
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

std::expected<Topology, std::string> parse_topology(std::string_view text,
                                                    const std::string& origin,
                                                    const std::string& default_name) {
    try {
        return parse(text, origin, default_name);
    } catch (const ConfigError& e) {
        return std::unexpected(e.what());
    }
}

std::expected<Topology, std::string> load_topology(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected(path + ": cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > 1 << 20) return std::unexpected(path + ": larger than 1 MiB");
    return parse_topology(text.str(), path, std::filesystem::path(path).stem().string());
}

}  // namespace shmiflab
