// Fuzz target: arbitrary bytes as a port forward's text form (forward/forward_spec.hpp), what
// --forward and --expose take on the command line, [[forward]] and [[expose]] in the TOML
// file and fwd.add over the control socket. The first byte picks the direction (its low
// bit: inbound, --forward, or outbound, --expose), the rest is the text. The parser may only
// refuse with a message; a spec it accepts must hold what the forwarder relies on: a
// non-empty range that does not wrap past port 65535 on either side, a single target
// address, limits at their defaults, a canonical text that parses back to the same spec
// (and to the same text), and the spec overlaps itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forward/forward_spec.hpp"

namespace {

using shmifd::forward::Direction;
using shmifd::forward::ForwardSpec;

void check(const ForwardSpec& spec, Direction direction) {
    namespace fwd = shmifd::forward;
    if (spec.direction != direction) __builtin_trap();
    if (spec.count < 1) __builtin_trap();
    if (spec.max_connections != fwd::default_max_connections) __builtin_trap();
    if (spec.udp_timeout_ms != fwd::default_udp_timeout_ms) __builtin_trap();
    if (!fwd::check_limits(spec).empty()) __builtin_trap();
    // Ports 1-65535 on both sides, the last of the range included, without wrapping.
    const auto last = static_cast<std::uint16_t>(spec.count - 1);
    if (spec.host_port == 0 || spec.virtual_port == 0) __builtin_trap();
    if (unsigned{spec.host_port} + unsigned{last} > 65535u) __builtin_trap();
    if (unsigned{spec.virtual_port} + unsigned{last} > 65535u) __builtin_trap();
    if (spec.listen(last).port < spec.listen(0).port) __builtin_trap();
    if (spec.target(last).port < spec.target(0).port) __builtin_trap();
    if (spec.listen(last).port - spec.listen(0).port != last) __builtin_trap();
    if (spec.target(last).port - spec.target(0).port != last) __builtin_trap();
    if (spec.listen(0).address != spec.listen(last).address) __builtin_trap();
    // Connections go to one address: never a wildcard or the broadcast address.
    const auto target = spec.target(0).address;
    if (target.is_any() || (target.is_v4() && target.v4().is_broadcast())) __builtin_trap();
    // The canonical text reads back as the same spec, and is its own canonical text.
    const std::string text = spec.to_string();
    const auto back = fwd::parse_forward(text, direction);
    if (!back || *back != spec) __builtin_trap();
    if (back->to_string() != text) __builtin_trap();
    if (spec.name() != std::string(fwd::direction_name(direction)) + " " + text) __builtin_trap();
    if (!fwd::overlaps(spec, spec)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const Direction direction = (data[0] & 1) != 0 ? Direction::outbound : Direction::inbound;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto spec = shmifd::forward::parse_forward(text, direction);
    if (!spec) {
        // Refusals say which direction, and what was wrong.
        if (spec.error().empty()) __builtin_trap();
        if (!spec.error().starts_with(shmifd::forward::direction_name(direction))) __builtin_trap();
        return 0;
    }
    check(*spec, direction);
    return 0;
}
