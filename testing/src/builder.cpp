// LabBuilder: a topology file's text from structs, in the file's order (examples/labs).
#include <cstdio>
#include <sstream>

#include "shmif/testing/lab.hpp"

namespace shmif::testing {

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                // Other control characters (and DEL) have no short form: \uXXXX. UTF-8
                // bytes of other characters pass as they are.
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x",
                                  static_cast<unsigned>(static_cast<unsigned char>(c)));
                    out += escaped;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

namespace {

std::string string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i == 0 ? "" : ", ") + toml_string(items[i]);
    return out + "]";
}

// key = "value", only when there is a value.
void put(std::ostringstream& out, const char* key, const std::string& value) {
    if (!value.empty()) out << key << " = " << toml_string(value) << '\n';
}

void put(std::ostringstream& out, const char* key, const std::vector<std::string>& values) {
    if (!values.empty()) out << key << " = " << string_array(values) << '\n';
}

void write_node(std::ostringstream& out, const LabNode& node) {
    out << "\n[[node]]\n";
    put(out, "name", node.name);
    put(out, "kind", node.kind);
    if (node.workers > 0) out << "workers = " << node.workers << '\n';
    if (node.forwarding) out << "forwarding = true\n";
    put(out, "services", node.services);
    put(out, "forward", node.forward);
    put(out, "expose", node.expose);
    for (const auto& itf : node.interfaces) {
        out << "[[node.interface]]\n";
        put(out, "bus", itf.bus);
        // An interface without addresses is allowed (a bridge-like listener): say so.
        out << "addresses = " << string_array(itf.addresses) << '\n';
        if (itf.mtu > 0) out << "mtu = " << itf.mtu << '\n';
    }
    for (const auto& route : node.routes) {
        out << "[[node.route]]\n";
        put(out, "dst", route.dst);
        put(out, "via", route.via);
    }
}

}  // namespace

LabBuilder::LabBuilder(std::string name) : name_(std::move(name)) {}

LabBuilder& LabBuilder::bus(LabBus bus) {
    buses_.push_back(std::move(bus));
    return *this;
}

LabBuilder& LabBuilder::node(LabNode node) {
    nodes_.push_back(std::move(node));
    return *this;
}

LabBuilder& LabBuilder::link(LabLink link) {
    links_.push_back(std::move(link));
    return *this;
}

LabBuilder& LabBuilder::capture(LabCapture capture) {
    captures_.push_back(std::move(capture));
    return *this;
}

LabBuilder& LabBuilder::host(std::string name, std::string bus, std::string address) {
    return node({.name = std::move(name),
                 .interfaces = {{.bus = std::move(bus), .addresses = {std::move(address)}}}});
}

std::string LabBuilder::toml() const {
    return toml(name_);
}

std::string LabBuilder::toml(std::string_view lab_name) const {
    std::ostringstream out;
    out << "[lab]\nname = " << toml_string(lab_name) << '\n';
    for (const auto& bus : buses_) {
        out << "\n[[bus]]\n";
        put(out, "name", bus.name);
        put(out, "format", bus.format);
        put(out, "size", bus.size);
    }
    for (const auto& node : nodes_)
        write_node(out, node);
    for (const auto& link : links_) {
        out << "\n[[link]]\n";
        put(out, "a", link.a);
        put(out, "b", link.b);
        put(out, "both", link.both);
        put(out, "a_to_b", link.a_to_b);
        put(out, "b_to_a", link.b_to_a);
        if (link.seed) out << "seed = " << *link.seed << '\n';
    }
    for (const auto& capture : captures_) {
        out << "\n[[capture]]\n";
        put(out, "bus", capture.bus);
        put(out, "format", capture.format);
        put(out, "filter", capture.filter);
        put(out, "file", capture.file);
    }
    return out.str();
}

}  // namespace shmif::testing
