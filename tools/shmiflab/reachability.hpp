// Which addresses a node should reach: what `ping-all` pings. Pure, from the topology alone.
#pragma once

#include <string>
#include <vector>

#include "topology.hpp"

namespace shmiflab {

struct Probe {
    std::size_t from;  // index of the pinging node
    std::size_t to;    // index of the node that holds `address`
    netstack::Ipv4Address address;
};

// Every address of every other node that `from` has an interface subnet or a route for.
std::vector<Probe> expected_probes(const Topology& lab, std::size_t from);

}  // namespace shmiflab
