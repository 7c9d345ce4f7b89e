// A port forward as configured (daemon/PROTOCOL.md, "Port forwarding"): which way, which
// protocol, the listening side and where each connection (or UDP flow) goes, and its text
// form, the same on the command line, in the TOML file and in shmifctl:
//
//   inbound  (--forward, host → virtual):  tcp:[HOST_ADDR:]PORT[-LAST]=VIRT_ADDR[:PORT[-LAST]]
//   outbound (--expose, virtual → host):   tcp:VIRT_ADDR:PORT[-LAST]=[HOST_ADDR:][PORT[-LAST]]
//
// The host address defaults to 127.0.0.1: a wildcard must be written out. A missing target
// port is the listening port; a range maps onto a range of the same length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "netstack/address.hpp"

namespace shmifd::forward {

enum class Direction : std::uint8_t {
    inbound,   // listens on the host, connects in the daemon's stack (--forward)
    outbound,  // listens in the daemon's stack, connects on the host (--expose)
};
enum class Protocol : std::uint8_t { tcp, udp };

const char* direction_name(Direction direction);  // "forward", "expose"
const char* protocol_name(Protocol protocol);

inline constexpr std::size_t default_max_connections = 4096;
inline constexpr std::uint32_t default_udp_timeout_ms = 60'000;

struct ForwardSpec {
    Direction direction = Direction::inbound;
    Protocol protocol = Protocol::tcp;
    netstack::Ipv4Address host_address = netstack::Ipv4Address::from_octets(127, 0, 0, 1);
    std::uint16_t host_port = 0;  // the first of `count`
    netstack::Ipv4Address virtual_address{};
    std::uint16_t virtual_port = 0;  // the first of `count`
    std::uint16_t count = 1;         // ports in the range
    // Live TCP connections (or UDP flows) at most; more are refused and counted.
    std::size_t max_connections = default_max_connections;
    // A UDP flow without a datagram either way for this long ends.
    std::uint32_t udp_timeout_ms = default_udp_timeout_ms;

    // The listening endpoint of port i of the range, and where its connections go.
    netstack::Endpoint listen(std::uint16_t i) const;
    netstack::Endpoint target(std::uint16_t i) const;
    // The canonical text ("tcp:127.0.0.1:8080=10.0.0.2:80"), without the limits.
    std::string to_string() const;
    // Direction and text: what names a forward ("forward tcp:127.0.0.1:8080=10.0.0.2:80").
    std::string name() const;
    bool operator==(const ForwardSpec&) const = default;
};

// Parses the text form for `direction`; the error says what is wrong.
std::expected<ForwardSpec, std::string> parse_forward(std::string_view text, Direction direction);
// Limits given apart from the text (TOML, a control request): empty when fine, else why not.
std::string check_limits(const ForwardSpec& spec);
// Whether two forwards would listen on a common port of the same protocol and side (the
// host's, or the stack's) and an address that overlaps (equal, or either a wildcard).
bool overlaps(const ForwardSpec& a, const ForwardSpec& b);

}  // namespace shmifd::forward
