#include "outcome.hpp"

#include <fmt/format.h>

namespace shmifctl {

using nlohmann::json;

std::optional<shmifd::control::CommandError> failure_of(const shmifd::control::Request& request,
                                                        const json& result) {
    if (!result.is_object()) return std::nullopt;
    if (request.cmd == "ping" && result.value("received", std::uint64_t{0}) == 0)
        return shmifd::control::CommandError{
            "no_reply", fmt::format("no reply from {}", request.args.value("addr", "?"))};
    if (request.cmd == "udp.recv") {
        const auto datagrams = result.find("datagrams");
        if (datagrams == result.end() || !datagrams->is_array() || datagrams->empty())
            return shmifd::control::CommandError{
                "nothing_received",
                fmt::format("no datagram on port {} in {} ms", request.args.value("port", 0),
                            request.args.value("timeout_ms", 0))};
    }
    return std::nullopt;
}

}  // namespace shmifctl
