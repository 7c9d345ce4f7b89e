#include "endpoint_json.hpp"

namespace shmifd::sockets {

nlohmann::json endpoint_json(const std::optional<netstack::Endpoint>& endpoint) {
    if (!endpoint) return nullptr;
    return {{"addr", endpoint->address.to_string()}, {"port", endpoint->port}};
}

}  // namespace shmifd::sockets
