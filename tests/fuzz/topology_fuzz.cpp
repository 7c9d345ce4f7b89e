// Fuzz target: arbitrary bytes as a shmiflab topology file (tools/shmiflab/topology.hpp).
// The parser may only refuse with "ORIGIN:...: what"; a topology it accepts must hold what
// `up` relies on: a usable lab name, at least one node, unique bus and node names that are
// usable as file names, every interface on a known bus, every address held once, and every
// gateway on one of its node's subnets; links between two known, different buses without a
// loop and with netem words shmiflink takes; captures of known buses into distinct plain
// file names; kernel nodes without workers, services or forwards.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "impair/settings.hpp"
#include "reachability.hpp"
#include "topology.hpp"

namespace {

bool on_a_subnet(const shmiflab::Node& node, netstack::Ipv4Address a) {
    for (const auto& itf : node.interfaces)
        for (const auto& cidr : itf.addresses)
            if (cidr.contains(a)) return true;
    return false;
}

// Links form a forest over the buses: each one joins two parts not joined before.
void check_links(const shmiflab::Topology& lab, const std::set<std::string>& buses) {
    std::vector<std::set<std::string>> parts;
    auto part_of = [&](const std::string& bus) -> std::size_t {
        for (std::size_t i = 0; i < parts.size(); ++i)
            if (parts[i].contains(bus)) return i;
        parts.push_back({bus});
        return parts.size() - 1;
    };
    for (const auto& link : lab.links) {
        if (!buses.contains(link.a) || !buses.contains(link.b)) __builtin_trap();
        for (const auto* words : {&link.a_to_b, &link.b_to_a})
            if (!words->empty() && !shmif::impair::parse_netem(*words)) __builtin_trap();
        const auto a = part_of(link.a);
        const auto b = part_of(link.b);
        if (a == b) __builtin_trap();
        parts[a].merge(parts[b]);
        parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(b));
    }
}

void check_captures(const shmiflab::Topology& lab, const std::set<std::string>& buses) {
    std::set<std::string> files;
    for (const auto& capture : lab.captures) {
        if (!buses.contains(capture.bus) || !files.insert(capture.file).second) __builtin_trap();
        if (capture.file.empty() || capture.file.front() == '.' ||
            capture.file.find('/') != std::string::npos)
            __builtin_trap();
    }
}

void check(const shmiflab::Topology& lab) {
    if (!shmiflab::valid_name(lab.name) || lab.nodes.empty()) __builtin_trap();
    std::set<std::string> buses, nodes;
    for (const auto& bus : lab.buses)
        if (!shmiflab::valid_name(bus.name) || !buses.insert(bus.name).second) __builtin_trap();
    std::set<netstack::Ipv4Address> addresses;
    for (std::size_t n = 0; n < lab.nodes.size(); ++n) {
        const auto& node = lab.nodes[n];
        if (!shmiflab::valid_name(node.name) || !nodes.insert(node.name).second) __builtin_trap();
        if (node.interfaces.empty() || node.workers < 1) __builtin_trap();
        if (node.kind == shmiflab::NodeKind::kernel &&
            (node.workers != 1 || !node.services.empty() || !node.forwards.empty()))
            __builtin_trap();
        for (const auto& itf : node.interfaces) {
            if (!buses.contains(itf.bus)) __builtin_trap();
            for (const auto& a : itf.addresses)
                if (!addresses.insert(a.address).second) __builtin_trap();
        }
        for (const auto& route : node.routes)
            if (!on_a_subnet(node, route.via)) __builtin_trap();
        // Probes never target the pinging node itself.
        for (const auto& probe : shmiflab::expected_probes(lab, n))
            if (probe.from != n || probe.to == n || probe.to >= lab.nodes.size()) __builtin_trap();
    }
    check_links(lab, buses);
    check_captures(lab, buses);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto lab = shmiflab::parse_topology(text, "fuzz.toml", "fuzz");
    if (!lab) {
        if (!lab.error().starts_with("fuzz.toml:")) __builtin_trap();
        return 0;
    }
    check(*lab);
    return 0;
}
