#include "reachability.hpp"

#include <algorithm>

namespace shmiflab {

namespace {

bool has_way_to(const Node& node, netstack::Ipv4Address address) {
    for (const auto& itf : node.interfaces)
        for (const auto& a : itf.addresses)
            if (a.contains(address)) return true;
    return std::ranges::any_of(node.routes,
                               [&](const NodeRoute& r) { return r.dst.contains(address); });
}

}  // namespace

std::vector<Probe> expected_probes(const Topology& lab, std::size_t from) {
    std::vector<Probe> probes;
    for (std::size_t to = 0; to < lab.nodes.size(); ++to) {
        if (to == from) continue;
        for (const auto& itf : lab.nodes[to].interfaces)
            for (const auto& a : itf.addresses)
                if (has_way_to(lab.nodes[from], a.address)) probes.push_back({from, to, a.address});
    }
    return probes;
}

}  // namespace shmiflab
