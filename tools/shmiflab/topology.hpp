// A lab's topology file (examples/labs/*.toml): buses, the nodes on them (shmifd daemons, or
// the Linux kernel in a network namespace), links between buses through impairments and
// captures, read and validated as a whole before anything starts. Pure: text in, Topology or
// "FILE:LINE: what" out (fuzzed by tests/fuzz/topology_fuzz.cpp).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forward/forward_spec.hpp"
#include "netstack/address.hpp"
#include "services/service_spec.hpp"
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

enum class NodeKind : std::uint8_t {
    shmifd,  // a shmifd daemon (the default)
    kernel,  // the Linux kernel in a network namespace, joined to each bus by shmiftap (root)
};

struct Node {
    std::string name;
    NodeKind kind = NodeKind::shmifd;
    std::size_t workers = 1;  // shmifd only
    bool forwarding = false;
    std::vector<NodeInterface> interfaces;  // eth0, eth1, ... in file order
    std::vector<NodeRoute> routes;
    // shmifd only: the daemon's services ("http", "echo:7/udp") and port forwards
    // ("tcp:8080=10.0.0.2:80" inbound, "tcp:10.0.0.1:5432=" outbound), as in its config.
    std::vector<services::ServiceSpec> services;
    std::vector<shmifd::forward::ForwardSpec> forwards;
};

// Two buses joined by shmiflink, each direction through netem-style impairments.
struct Link {
    std::string a, b;  // BusSpec names
    // tc-netem's words, checked by impair::parse_netem; empty: frames cross untouched.
    std::string a_to_b, b_to_a;
    std::optional<std::uint64_t> seed;  // the same decisions on every run
};

enum class CaptureFormat : std::uint8_t { pcap, pcapng };

// A shmifdump recording of one bus into the lab's directory, kept after `down`.
struct Capture {
    std::string bus;
    CaptureFormat format = CaptureFormat::pcap;
    std::string filter;  // pcap-filter(7), compiled by libpcap when read; empty: every frame
    std::string file;    // a file name in the lab's directory; default BUS.pcap or BUS.pcapng
};

struct Topology {
    std::string name;
    std::vector<BusSpec> buses;
    std::vector<Node> nodes;
    std::vector<Link> links;
    std::vector<Capture> captures;

    bool has_kernel_nodes() const;
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
