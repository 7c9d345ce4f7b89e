#include "node_control.hpp"

#include "shmifd/control/client.hpp"

namespace shmiflab {

std::expected<nlohmann::json, std::string> node_call(const std::string& socket,
                                                     const std::string& cmd, nlohmann::json args,
                                                     std::chrono::milliseconds timeout) {
    namespace control = shmifd::control;
    auto client = control::ControlClient::connect(socket, timeout);
    if (!client) return std::unexpected(client.error().message);
    control::Request request;
    request.cmd = cmd;
    request.args = std::move(args);
    auto reply = client->call(std::move(request), timeout);
    if (!reply) return std::unexpected(reply.error().message);
    if (!reply->result)
        return std::unexpected(reply->result.error().code + ": " + reply->result.error().message);
    return *reply->result;
}

}  // namespace shmiflab
