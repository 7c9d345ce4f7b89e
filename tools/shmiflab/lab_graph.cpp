#include "lab_graph.hpp"

#include <fmt/format.h>

#include <vector>

#include "lab_dir.hpp"
#include "units.hpp"

namespace shmiflab {

namespace {

constexpr const char* kFont = "Helvetica,Arial,sans-serif";

// Buses and nodes may share a name: each kind has its own ids.
std::string bus_id(const std::string& name) {
    return dot_quoted("bus " + name);
}
std::string node_id(const std::string& name) {
    return dot_quoted("node " + name);
}

std::string lines(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts)
        out += (out.empty() ? "" : "\n") + part;
    return out;
}

template <class Items, class Text>
std::string joined(const Items& items, Text text) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + text(item);
    return out;
}

std::string bus_statement(const BusSpec& bus, const std::vector<Capture>& captures) {
    std::vector<std::string> label{
        bus.name, fmt::format("{} bus{}", shmif::format_name(bus.format),
                              bus.size == 0 ? "" : ", " + shmifbus::human_bytes(bus.size))};
    bool captured = false;
    for (const auto& capture : captures) {
        if (capture.bus != bus.name) continue;
        captured = true;
        label.push_back("captured to " + capture.file);
        if (!capture.filter.empty()) label.push_back("filter: " + capture.filter);
    }
    return fmt::format(
        "    {} [shape=box, style=\"filled,bold\", fillcolor=\"#fff2cc\", color=\"#d6b656\"{}, "
        "label={}];\n",
        bus_id(bus.name), captured ? ", peripheries=2" : "", dot_quoted(lines(label)));
}

std::string node_statement(const Topology& lab, const Node& node) {
    std::vector<std::string> label{node.name};
    const char* look;
    if (node.kind == NodeKind::kernel) {
        label.push_back(node.forwarding ? "Linux kernel, router" : "Linux kernel");
        label.push_back("netns " + netns_name(lab.name, node.name));
        look = "shape=box3d, style=filled, fillcolor=\"#f8cecc\", color=\"#b85450\"";
    } else {
        label.push_back(fmt::format("shmifd {}, {} worker{}", node.forwarding ? "router" : "host",
                                    node.workers, node.workers == 1 ? "" : "s"));
        look =
            node.forwarding
                ? "shape=box, style=\"rounded,filled\", fillcolor=\"#d5e8d4\", color=\"#82b366\""
                : "shape=box, style=\"rounded,filled\", fillcolor=\"#dae8fc\", color=\"#6c8ebf\"";
    }
    if (!node.services.empty())
        label.push_back("services: " + joined(node.services, [](const services::ServiceSpec& s) {
                            return s.to_string();
                        }));
    for (const auto& forward : node.forwards)
        label.push_back(forward.name());
    for (const auto& route : node.routes) {
        const bool whole = route.dst.prefix_len == 0;
        label.push_back((whole ? "default" : route.dst.to_string()) + " via " +
                        route.via.to_string());
    }
    return fmt::format("    {} [{}, label={}];\n", node_id(node.name), look,
                       dot_quoted(lines(label)));
}

std::string interface_edges(const Node& node) {
    std::string out;
    for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
        const auto& itf = node.interfaces[i];
        std::vector<std::string> label{"eth" + std::to_string(i)};
        for (const auto& address : itf.addresses)
            label.push_back(address.to_string());
        if (itf.mtu != 0) label.push_back("mtu " + std::to_string(itf.mtu));
        out += fmt::format("    {} -- {} [label={}];\n", node_id(node.name), bus_id(itf.bus),
                           dot_quoted(lines(label)));
    }
    return out;
}

std::string link_edge(const Link& link) {
    auto words = [](const std::string& netem) { return netem.empty() ? "untouched" : netem; };
    std::vector<std::string> label{"shmiflink"};
    if (link.a_to_b == link.b_to_a) {
        label.push_back("both ways: " + words(link.a_to_b));
    } else {
        label.push_back(link.a + " -> " + link.b + ": " + words(link.a_to_b));
        label.push_back(link.b + " -> " + link.a + ": " + words(link.b_to_a));
    }
    if (link.seed) label.push_back("seed " + std::to_string(*link.seed));
    return fmt::format(
        "    {} -- {} [style=dashed, penwidth=2, color=\"#9673a6\", fontcolor=\"#9673a6\", "
        "label={}];\n",
        bus_id(link.a), bus_id(link.b), dot_quoted(lines(label)));
}

}  // namespace

std::string dot_quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\')
            out += {'\\', c};
        else if (c == '\n')
            out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            out += ' ';
        else
            out += c;
    }
    return out + "\"";
}

std::string to_dot(const Topology& lab) {
    std::string out = fmt::format(
        "// shmiflab lab {}: render with dot -Tsvg (shmiflab graph "
        "--format svg)\ngraph {} {{\n",
        lab.name, dot_quoted(lab.name));
    out += fmt::format(
        "    graph [label={}, labelloc=t, fontsize=16, fontname=\"{}\", nodesep=0.4, "
        "ranksep=0.6];\n    node [fontsize=11, fontname=\"{}\"];\n    edge [fontsize=9, "
        "fontname=\"{}\", color=\"#666666\"];\n",
        dot_quoted("lab " + lab.name), kFont, kFont, kFont);
    out += "\n    // buses\n";
    for (const auto& bus : lab.buses)
        out += bus_statement(bus, lab.captures);
    out += "\n    // nodes\n";
    for (const auto& node : lab.nodes)
        out += node_statement(lab, node);
    out += "\n    // interfaces: node -- bus\n";
    for (const auto& node : lab.nodes)
        out += interface_edges(node);
    if (!lab.links.empty()) out += "\n    // links: bus -- bus\n";
    for (const auto& link : lab.links)
        out += link_edge(link);
    return out + "}\n";
}

}  // namespace shmiflab
