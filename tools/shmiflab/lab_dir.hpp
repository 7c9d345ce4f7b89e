// Where a running lab lives: one directory per lab holding its buses, each node's config,
// control socket, log and pid file, and a copy of the topology (lab.toml) so that later
// commands find the lab by name alone.
#pragma once

#include <expected>
#include <string>

#include "topology.hpp"

namespace shmiflab {

struct LabDir {
    std::string path;  // BASE/NAME

    std::string topology() const { return path + "/lab.toml"; }
    std::string bus(const std::string& name) const { return path + "/" + name + ".bus"; }
    std::string config(const std::string& node) const { return path + "/" + node + ".toml"; }
    std::string socket(const std::string& node) const { return path + "/" + node + ".sock"; }
    std::string log(const std::string& node) const { return path + "/" + node + ".log"; }
    std::string pid(const std::string& node) const { return path + "/" + node + ".pid"; }
};

// The network namespace of a kernel node (ip netns): "shmiflab-LAB-NODE". Namespaces are
// global to the host, unlike lab directories: two labs of one name under two --dir bases
// would share them, and `up` refuses a namespace that exists already.
inline std::string netns_name(const std::string& lab, const std::string& node) {
    return "shmiflab-" + lab + "-" + node;
}

// $XDG_RUNTIME_DIR/shmiflab, else /run/shmiflab as root, else /tmp/shmiflab-UID.
std::string default_base();

// A lab given as its topology file or its name, looked up under `base`.
struct Lab {
    Topology topology;
    LabDir dir;
};
// A file that exists is read for the lab's name, and for its topology unless the lab's
// directory holds lab.toml (what `up` started, which wins); anything else is a lab name whose
// directory holds lab.toml. Errors are sentences for "shmiflab: ...".
std::expected<Lab, std::string> find_lab(const std::string& file_or_name, const std::string& base);

}  // namespace shmiflab
