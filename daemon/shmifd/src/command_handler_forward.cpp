// The port-forwarding commands of DaemonHandler: fwd.add, fwd.del, fwd.list
// (daemon/PROTOCOL.md, "Port forwarding").
#include "command_handler.hpp"

namespace shmifd {

namespace {

using control::Args;
using control::ArgumentError;
using control::Done;
using control::Result;

// spec (the text form) and direction ("forward", the default, or "expose").
forward::ForwardSpec forward_arg(Args& a) {
    const auto text = a.required_string("spec");
    const auto direction_text = a.optional_string("direction").value_or("forward");
    forward::Direction direction = forward::Direction::inbound;
    if (direction_text == "expose")
        direction = forward::Direction::outbound;
    else if (direction_text != "forward")
        throw ArgumentError("direction must be forward or expose");
    auto spec = forward::parse_forward(text, direction);
    if (!spec) throw ArgumentError(spec.error());
    return *spec;
}

}  // namespace

void DaemonHandler::fwd_add(Args& a, Done& done) {
    auto spec = forward_arg(a);
    if (auto max = a.optional_uint("max_connections", 1, 1'000'000)) spec.max_connections = *max;
    if (auto timeout = a.optional_uint("udp_timeout_ms", 100, 86'400'000)) {
        if (spec.protocol == forward::Protocol::tcp)
            throw ArgumentError("udp_timeout_ms is for udp forwards");
        spec.udp_timeout_ms = static_cast<std::uint32_t>(*timeout);
    }
    a.finish();
    change(done, "add " + spec.name(), [this, spec]() -> Result {
        if (auto o = forwards_.add(spec); !o) return std::unexpected(o.error());
        return nlohmann::json::object();
    });
}

void DaemonHandler::fwd_del(Args& a, Done& done) {
    const auto spec = forward_arg(a);
    const bool kill = a.optional_bool("kill").value_or(false);
    a.finish();
    change(done, "remove " + spec.name() + (kill ? " (connections reset)" : ""),
           [this, spec, kill]() -> Result {
               if (auto o = forwards_.remove(spec, kill); !o) return std::unexpected(o.error());
               return nlohmann::json::object();
           });
}

void DaemonHandler::fwd_list(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return forwards_.list_json(); });
}

}  // namespace shmifd
