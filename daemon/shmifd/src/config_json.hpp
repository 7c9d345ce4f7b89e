// The configuration as JSON in the TOML file's shape (the `config` command's result).
#pragma once

#include <nlohmann/json.hpp>

#include "config.hpp"

namespace shmifd {

nlohmann::json to_json(const Config& config);
nlohmann::json to_json(const RouteSpec& route);
nlohmann::json stack_to_json(const netstack::StackConfig& stack);
std::string route_destination_text(const netstack::IpCidr& dst);  // "default" for 0.0.0.0/0
// As ip-route(8) writes it: "default via 10.0.0.254 dev eth0 metric 10".
std::string route_text(const RouteSpec& route);

}  // namespace shmifd
