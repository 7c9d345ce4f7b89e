#include "endpoint_json.hpp"

#include "sockets/socket_family.hpp"

namespace shmifd::sockets {

nlohmann::json endpoint_json(SockDomain domain, const std::optional<netstack::Endpoint>& endpoint) {
    if (!endpoint) return nullptr;
    const auto shown = to_client(domain, *endpoint);
    return {{"addr", shown.address.to_string()}, {"port", shown.port}};
}

}  // namespace shmifd::sockets
