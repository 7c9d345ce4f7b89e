// An endpoint as the socket service's replies show it: {"addr": "10.0.0.2", "port": 80}, or
// null when there is none (daemon/PROTOCOL.md, EP); an inet6 socket's in its own family
// (socket_family.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "netstack/address.hpp"
#include "sockets/socket_record.hpp"

namespace shmifd::sockets {

nlohmann::json endpoint_json(SockDomain domain, const std::optional<netstack::Endpoint>& endpoint);

}  // namespace shmifd::sockets
