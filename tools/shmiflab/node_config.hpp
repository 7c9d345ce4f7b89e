// A node of the lab as the shmifd configuration file it runs (shmifd.toml(5)): written by
// the daemon's own writer, so the file is what `shmifctl config save` would produce.
#pragma once

#include <string>

#include "lab_dir.hpp"
#include "topology.hpp"

namespace shmiflab {

// The TOML text of `node`'s config: socket in the lab's directory, interfaces eth0, eth1, ...
// on the lab's bus files (never created by shmifd: `up` made them), routes, forwarding,
// services and port forwards.
std::string node_config(const Topology& lab, const Node& node, const LabDir& dir);

}  // namespace shmiflab
