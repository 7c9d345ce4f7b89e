// TCP connections and service counters as the control protocol shows them (tcp.list,
// service.list in daemon/PROTOCOL.md).
#pragma once

#include <nlohmann/json.hpp>

#include "netstack/tcp.hpp"
#include "services/service_host.hpp"

namespace shmifd {

nlohmann::json to_json(const netstack::TcpInfo& info);
nlohmann::json to_json(const services::ServiceSpec& spec);
nlohmann::json to_json(const services::ServiceCounters& counters);

}  // namespace shmifd
