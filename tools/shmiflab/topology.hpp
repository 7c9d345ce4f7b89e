// A lab's topology file (examples/labs/*.toml): buses and the shmifd nodes on them, read and
// validated as a whole before anything starts. Pure: text in, Topology or "FILE:LINE: what"
// out (fuzzed by tests/fuzz/topology_fuzz.cpp).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/address.hpp"
#include "shmif/bus.hpp"

namespace shmiflab {

struct BusSpec {
    std::string name;
    shmif::Format format = shmif::Format::native;
    std::uint64_t size = 0;  // bytes; 0 = libshmif's default for the format
};

struct NodeInterface {
    std::string bus;  // a BusSpec's name
    std::vector<netstack::Ipv4Cidr> addresses;
    std::size_t mtu = 0;  // 0 = shmifd's default
};

struct NodeRoute {
    netstack::Ipv4Cidr dst;  // 0.0.0.0/0 for "default"
    netstack::Ipv4Address via;
};

struct Node {
    std::string name;
    std::size_t workers = 1;
    bool forwarding = false;
    std::vector<NodeInterface> interfaces;  // eth0, eth1, ... in file order
    std::vector<NodeRoute> routes;
};

struct Topology {
    std::string name;
    std::vector<BusSpec> buses;
    std::vector<Node> nodes;
};

// Names of labs, buses and nodes become file names: letters, digits, '-', '_', at most 32,
// not starting with '-' or '.'.
bool valid_name(std::string_view name);

// `origin` names the text in messages (the file's path); `default_name` is the lab's name
// when [lab] gives none (the file's stem).
std::expected<Topology, std::string> parse_topology(std::string_view text,
                                                    const std::string& origin,
                                                    const std::string& default_name);
// The file read and parsed, its stem as the default name.
std::expected<Topology, std::string> load_topology(const std::string& path);

}  // namespace shmiflab
