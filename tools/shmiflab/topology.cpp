#include "topology.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <pcap/pcap.h>

#include "config.hpp"
#include "impair/settings.hpp"
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
    if (!parsed || !parsed->is_v4())
        r.fail(*r.get("dst"), "node " + node +
                                  ": route: dst must be a network a.b.c.d/n (host bits clear) "
                                  "or \"default\", not " +
                                  *dst);
    route.dst = parsed->v4();
    auto via = r.string("via");
    if (!via) r.fail(table, "node " + node + ": route: via is required (the gateway)");
    auto gateway = netstack::Ipv4Address::parse(*via);
    if (!gateway)
        r.fail(*r.get("via"), "node " + node + ": route: via must be an IPv4 address, not " + *via);
    route.via = *gateway;
    r.finish();
    return route;
}

// Each entry of the array `key` as a string, given to `parse` (which returns the error).
template <class Parse>
void each_string(TableReader& r, std::string_view key, const std::string& what, Parse parse) {
    const auto* list = r.array(key);
    if (list == nullptr) return;
    for (const auto& entry : *list) {
        auto text = entry.value<std::string>();
        if (!text) r.fail(entry, what + ": " + std::string(key) + " must be strings");
        if (auto why = parse(*text); !why.empty()) r.fail(entry, what + ": " + why);
    }
}

void read_services(TableReader& r, Node& node) {
    const std::string what = "node " + node.name;
    each_string(r, "services", what, [&](const std::string& text) {
        services::SpecError error;
        auto spec = services::parse_service(text, &error);
        if (!spec) return "service \"" + text + "\": " + error.message;
        for (const auto& other : node.services)
            if (services::conflicts(other, *spec))
                return "services " + other.to_string() + " and " + spec->to_string() +
                       " need the same port";
        node.services.push_back(*spec);
        return std::string();
    });
    using shmifd::forward::Direction;
    for (auto [key, direction] :
         {std::pair{"forward", Direction::inbound}, std::pair{"expose", Direction::outbound}})
        each_string(r, key, what, [&](const std::string& text) {
            auto spec = shmifd::forward::parse_forward(text, direction);
            if (!spec) return std::string(key) + " \"" + text + "\": " + spec.error();
            node.forwards.push_back(*spec);
            return std::string();
        });
}

Node read_node(TableReader r, const toml::table& table, const std::string& origin) {
    Node node;
    node.name = read_name(r, table, "node");
    if (auto kind = r.string("kind")) {
        if (*kind == "kernel")
            node.kind = NodeKind::kernel;
        else if (*kind != "shmifd")
            r.fail(*r.get("kind"), "node " + node.name + ": kind must be shmifd or kernel");
    }
    if (node.kind == NodeKind::kernel) {
        // The kernel has no workers, services or forwards of ours: run programs in its
        // namespace (shmiflab exec) instead.
        for (const char* key : {"workers", "services", "forward", "expose"})
            if (const auto* v = r.get(key))
                r.fail(*v, "node " + node.name + ": " + key + " is for shmifd nodes, not kernel");
    }
    r.integer_into("workers", node.workers, 1, 64);
    if (auto v = r.boolean("forwarding")) node.forwarding = *v;
    read_services(r, node);
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

Link read_link(TableReader r, const toml::table& table) {
    Link link;
    auto a = r.string("a");
    auto b = r.string("b");
    if (!a || !b) r.fail(table, "link: a and b are required (the two buses it joins)");
    link.a = *a;
    link.b = *b;
    const std::string what = "link " + link.a + " - " + link.b;
    // netem's words, checked now so that shmiflink cannot refuse them later.
    auto netem = [&](const char* key) -> std::optional<std::string> {
        auto text = r.string(key);
        if (!text) return std::nullopt;
        if (auto parsed = shmif::impair::parse_netem(*text); !parsed)
            r.fail(*r.get(key), what + ": " + key + ": " + parsed.error());
        return text;
    };
    const auto both = netem("both");
    link.a_to_b = netem("a_to_b").value_or(both.value_or(""));
    link.b_to_a = netem("b_to_a").value_or(both.value_or(""));
    if (auto seed = r.integer("seed", 0, std::numeric_limits<std::int64_t>::max()))
        link.seed = static_cast<std::uint64_t>(*seed);
    r.finish();
    return link;
}

// Whether libpcap compiles `filter` for Ethernet frames; its message if not.
std::string check_filter(const std::string& filter) {
    pcap_t* dead = ::pcap_open_dead(DLT_EN10MB, 262144);
    if (dead == nullptr) return "libpcap could not open a dead handle";
    bpf_program program{};
    std::string why;
    if (::pcap_compile(dead, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        why = ::pcap_geterr(dead);
    else
        ::pcap_freecode(&program);
    ::pcap_close(dead);
    return why;
}

Capture read_capture(TableReader r, const toml::table& table) {
    Capture capture;
    auto bus = r.string("bus");
    if (!bus) r.fail(table, "capture: bus is required");
    capture.bus = *bus;
    const std::string what = "capture of " + capture.bus;
    if (auto format = r.string("format")) {
        if (*format == "pcapng")
            capture.format = CaptureFormat::pcapng;
        else if (*format != "pcap")
            r.fail(*r.get("format"), what + ": format must be pcap or pcapng");
    }
    if (auto filter = r.string("filter")) {
        if (auto why = check_filter(*filter); !why.empty())
            r.fail(*r.get("filter"), what + ": filter: " + why);
        capture.filter = *filter;
    }
    if (auto file = r.string("file")) {
        const bool plain = !file->empty() && file->size() <= 64 && file->front() != '.' &&
                           std::ranges::all_of(*file, [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                      c == '_' || c == '.';
                           });
        if (!plain)
            r.fail(*r.get("file"), what +
                                       ": file must be a plain file name (it goes in the "
                                       "lab's directory)");
        capture.file = *file;
    } else {
        capture.file =
            capture.bus + (capture.format == CaptureFormat::pcapng ? ".pcapng" : ".pcap");
    }
    r.finish();
    return capture;
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

// Links join buses into segments; a cycle of links would pass every broadcast round it for
// ever (each shmiflink skips only its own frames). Union-find over the bus names.
void check_links(const Topology& lab, const std::set<std::string>& buses, const toml::table& root,
                 const std::string& origin) {
    std::map<std::string, std::string> parent;
    auto find = [&](std::string x) {
        while (parent.contains(x) && parent[x] != x)
            x = parent[x];
        return x;
    };
    for (std::size_t l = 0; l < lab.links.size(); ++l) {
        const auto& link = lab.links[l];
        const auto line = where(root, origin, "link", l);
        for (const auto* bus : {&link.a, &link.b})
            if (!buses.contains(*bus)) throw ConfigError(line + "link: no bus " + *bus);
        if (link.a == link.b) throw ConfigError(line + "link: joins bus " + link.a + " to itself");
        const auto ra = find(link.a), rb = find(link.b);
        if (ra == rb)
            throw ConfigError(line + "link " + link.a + " - " + link.b +
                              ": the two buses are joined already (by this link they would "
                              "make a loop, and broadcasts would circle it for ever)");
        parent[ra] = rb;
        parent.try_emplace(rb, rb);
    }
}

void check_captures(const Topology& lab, const std::set<std::string>& buses,
                    const std::set<std::string>& nodes, const toml::table& root,
                    const std::string& origin) {
    std::set<std::string> files;
    for (std::size_t c = 0; c < lab.captures.size(); ++c) {
        const auto& capture = lab.captures[c];
        const auto line = where(root, origin, "capture", c);
        if (!buses.contains(capture.bus))
            throw ConfigError(line + "capture: no bus " + capture.bus);
        if (!files.insert(capture.file).second)
            throw ConfigError(line + "capture of " + capture.bus + ": file " + capture.file +
                              " is another capture's too");
        // The lab's own files are BUS.bus and NODE.{toml,sock,log,pid}: keep clear of them.
        const auto dot = capture.file.rfind('.');
        const auto stem = capture.file.substr(0, dot);
        const auto ext = dot == std::string::npos ? "" : capture.file.substr(dot);
        if ((ext == ".bus" && buses.contains(stem)) || capture.file == "lab.toml" ||
            (nodes.contains(stem) &&
             (ext == ".toml" || ext == ".sock" || ext == ".log" || ext == ".pid")))
            throw ConfigError(line + "capture of " + capture.bus + ": file " + capture.file +
                              " is one of the lab's own files");
    }
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
    check_links(lab, buses, root, origin);
    check_captures(lab, buses, nodes, root, origin);
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
    if (const auto* list = r.array("link"))
        shmifd::each_table(*list, origin, "link", [&](const toml::table& t) {
            lab.links.push_back(read_link(TableReader(t, origin, "link"), t));
        });
    if (const auto* list = r.array("capture"))
        shmifd::each_table(*list, origin, "capture", [&](const toml::table& t) {
            lab.captures.push_back(read_capture(TableReader(t, origin, "capture"), t));
        });
    r.finish();
    if (lab.nodes.empty()) throw ConfigError(origin + ": no [[node]]: a lab needs one at least");
    cross_check(lab, root, origin);
    return lab;
}

}  // namespace

bool Topology::has_kernel_nodes() const {
    return std::ranges::any_of(nodes, [](const Node& n) { return n.kind == NodeKind::kernel; });
}

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
