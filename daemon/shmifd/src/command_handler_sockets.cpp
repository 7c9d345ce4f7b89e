// The socket service's commands (sock.*), handed to sockets::SocketService.
#include "command_handler.hpp"

namespace shmifd {

void DaemonHandler::sock(control::Args& args, control::Done& done) {
    const std::string_view cmd = request_->cmd;
    sockets_.handle(cmd.substr(cmd.find('.') + 1), args, *request_, done);
}

}  // namespace shmifd
