// The `udp.send` and `udp.recv` commands on a shard: a UDP socket opened for the command
// and closed when it is answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "shard.hpp"
#include "shmifd/control/handler.hpp"

namespace shmifd {

struct UdpSendParams {
    netstack::Endpoint to;
    std::string data;
    std::uint16_t from_port = 0;  // 0: an ephemeral port this shard owns
};

struct UdpRecvParams {
    std::uint16_t port = 0;
    std::chrono::milliseconds timeout{1000};
    std::size_t count = 1;
};

// The payload of a udp.send request: `data` (text, sent as its UTF-8 bytes) or
// `data_base64` (any bytes), exactly one of them, at most 65507 bytes. Throws ArgumentError.
std::string udp_payload_arg(control::Args& args);

// Both run on the shard's worker and answer through `done` (at once for a send).
void udp_send(Shard& shard, const UdpSendParams& params, control::Done done);
void udp_recv(Shard& shard, const UdpRecvParams& params, control::Done done);

}  // namespace shmifd
