#include "forward_spec.hpp"

#include <charconv>

namespace shmifd::forward {

namespace {

using netstack::Ipv4Address;

struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t count = 1;
};

std::expected<std::uint16_t, std::string> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535)
        return std::unexpected("bad port '" + std::string(text) + "' (1-65535)");
    return static_cast<std::uint16_t>(value);
}

// "PORT" or "FIRST-LAST".
std::expected<PortRange, std::string> parse_range(std::string_view text) {
    const auto dash = text.find('-');
    auto first = parse_port(text.substr(0, dash));
    if (!first) return std::unexpected(first.error());
    if (dash == std::string_view::npos) return PortRange{*first, 1};
    auto last = parse_port(text.substr(dash + 1));
    if (!last) return std::unexpected(last.error());
    if (*last < *first)
        return std::unexpected("bad port range '" + std::string(text) + "': last before first");
    return PortRange{*first, static_cast<std::uint16_t>(*last - *first + 1)};
}

// One side: "ADDR:RANGE", "ADDR" (no ports) or "RANGE" (no address); a dotted quad is told
// from a port by its dots.
struct Side {
    std::optional<Ipv4Address> address;
    std::optional<PortRange> ports;
};

std::expected<Side, std::string> parse_side(std::string_view text) {
    if (text.empty()) return std::unexpected("an empty side");
    Side side;
    std::string_view address_text, ports_text;
    if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        address_text = text.substr(0, colon);
        ports_text = text.substr(colon + 1);
        // ":8080" is not "8080": a ':' follows an address that is written out.
        if (address_text.empty())
            return std::unexpected("no address before ':' in '" + std::string(text) + "'");
        if (ports_text.empty())
            return std::unexpected("no port after ':' in '" + std::string(text) + "'");
    } else if (text.find('.') != std::string_view::npos) {
        address_text = text;
    } else {
        ports_text = text;
    }
    if (!address_text.empty()) {
        side.address = Ipv4Address::parse(address_text);
        if (!side.address)
            return std::unexpected("bad IPv4 address '" + std::string(address_text) + "'");
    }
    if (!ports_text.empty()) {
        auto ports = parse_range(ports_text);
        if (!ports) return std::unexpected(ports.error());
        side.ports = *ports;
    }
    return side;
}

std::string range_text(std::uint16_t first, std::uint16_t count) {
    std::string out = std::to_string(first);
    if (count > 1) out += "-" + std::to_string(first + count - 1);
    return out;
}

bool addresses_overlap(const netstack::IpAddress& a, const netstack::IpAddress& b) {
    return a == b || a.is_any() || b.is_any();
}

}  // namespace

const char* direction_name(Direction direction) {
    return direction == Direction::inbound ? "forward" : "expose";
}

const char* protocol_name(Protocol protocol) {
    return protocol == Protocol::tcp ? "tcp" : "udp";
}

netstack::Endpoint ForwardSpec::listen(std::uint16_t i) const {
    if (direction == Direction::inbound)
        return {host_address, static_cast<std::uint16_t>(host_port + i)};
    return {virtual_address, static_cast<std::uint16_t>(virtual_port + i)};
}

netstack::Endpoint ForwardSpec::target(std::uint16_t i) const {
    if (direction == Direction::inbound)
        return {virtual_address, static_cast<std::uint16_t>(virtual_port + i)};
    return {host_address, static_cast<std::uint16_t>(host_port + i)};
}

std::string ForwardSpec::to_string() const {
    const auto host = host_address.to_string() + ":" + range_text(host_port, count);
    const auto virt = virtual_address.to_string() + ":" + range_text(virtual_port, count);
    return std::string(protocol_name(protocol)) + ":" +
           (direction == Direction::inbound ? host + "=" + virt : virt + "=" + host);
}

std::string ForwardSpec::name() const {
    return std::string(direction_name(direction)) + " " + to_string();
}

std::expected<ForwardSpec, std::string> parse_forward(std::string_view text, Direction direction) {
    auto fail = [&](const std::string& why) -> std::expected<ForwardSpec, std::string> {
        return std::unexpected(std::string(direction_name(direction)) + " '" + std::string(text) +
                               "': " + why);
    };
    ForwardSpec spec;
    spec.direction = direction;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return fail("expected tcp: or udp: first");
    const auto protocol = text.substr(0, colon);
    if (protocol == "tcp")
        spec.protocol = Protocol::tcp;
    else if (protocol == "udp")
        spec.protocol = Protocol::udp;
    else
        return fail("the protocol must be tcp or udp, not '" + std::string(protocol) + "'");
    const auto rest = text.substr(colon + 1);
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos || rest.find('=', equals + 1) != std::string_view::npos)
        return fail("expected one '=' between the listening side and the target");
    auto from = parse_side(rest.substr(0, equals));
    if (!from) return fail("listening side: " + from.error());
    auto to = parse_side(rest.substr(equals + 1));
    if (!to) return fail("target: " + to.error());
    if (!from->ports) return fail("the listening side needs a port");
    const bool inbound = direction == Direction::inbound;
    // The virtual side's address is always written out; the host's defaults to 127.0.0.1.
    const auto& virt = inbound ? *to : *from;
    const auto& host = inbound ? *from : *to;
    if (!virt.address)
        return fail(inbound ? "the target needs the virtual address (10.0.0.2:80)"
                            : "the listening side needs the virtual address (10.0.0.1:5432, or "
                              "0.0.0.0 for every address of the daemon)");
    const PortRange listening = *from->ports;
    const PortRange target = to->ports.value_or(listening);
    if (target.count != listening.count)
        return fail("the target's port range has " + std::to_string(target.count) +
                    " ports, the listening side's " + std::to_string(listening.count));
    if (!inbound && to->address && (to->address->is_any() || to->address->is_broadcast()))
        return fail("the host target must be one address, not " + to->address->to_string());
    if (inbound && (virt.address->is_any() || virt.address->is_broadcast()))
        return fail("the virtual target must be one address, not " + virt.address->to_string());
    if (host.address) spec.host_address = *host.address;
    spec.virtual_address = *virt.address;
    spec.count = listening.count;
    spec.host_port = inbound ? listening.first : target.first;
    spec.virtual_port = inbound ? target.first : listening.first;
    return spec;
}

std::string check_limits(const ForwardSpec& spec) {
    if (spec.max_connections == 0) return "max_connections must be at least 1";
    if (spec.max_connections > 1'000'000) return "max_connections is at most 1000000";
    if (spec.udp_timeout_ms < 100 || spec.udp_timeout_ms > 86'400'000)
        return "udp_timeout_ms must be 100 to 86400000";
    return {};
}

bool overlaps(const ForwardSpec& a, const ForwardSpec& b) {
    if (a.direction != b.direction || a.protocol != b.protocol) return false;
    const auto la = a.listen(0), lb = b.listen(0);
    if (!addresses_overlap(la.address, lb.address)) return false;
    const unsigned a_last = la.port + a.count - 1u, b_last = lb.port + b.count - 1u;
    return la.port <= b_last && lb.port <= a_last;
}

}  // namespace shmifd::forward
