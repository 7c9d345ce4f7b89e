// A lab's topology as a Graphviz graph (DOT), for people: buses, the nodes on them, the
// interfaces joining them, links between buses and captures. Pure: what `shmiflab graph`
// prints, or gives to `dot -Tsvg`.
#pragma once

#include <string>
#include <string_view>

#include "topology.hpp"

namespace shmiflab {

// An undirected graph named after the lab: buses (yellow, doubly framed when captured),
// shmifd nodes (rounded boxes, hosts blue and routers green), kernel nodes (red 3-D boxes),
// an edge from each node to each of its buses labelled with the interface and its addresses,
// and a dashed edge for each link labelled with the impairments of each direction.
std::string to_dot(const Topology& lab);

// `text` as a DOT double-quoted string whose label shows `text` as written: '"' and '\'
// escaped, line breaks as \n, other control characters as spaces.
std::string dot_quoted(std::string_view text);

}  // namespace shmiflab
