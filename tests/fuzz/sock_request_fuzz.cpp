// Fuzz target: arbitrary bytes as a request line of the socket service (daemon/PROTOCOL.md,
// "The socket service"), which any process that can open the control socket may send. A
// line that parses goes, as its sock.* command (the input's own, or one the first byte
// picks), through the decoder the daemon acts on: it may only throw ArgumentError, whose
// reply must be one valid JSON line, and what it returns must hold the documented ranges.
// The same bytes are also a message on a lane (sockets/option_lane.hpp), which the daemon
// reads from any client as they come.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shmifd/control/handler.hpp"
#include "shmifd/control/protocol.hpp"
#include "sockets/option_lane.hpp"
#include "sockets/sock_request.hpp"

namespace {

using namespace shmifd::control;
using shmifd::sockets::SockRequest;

constexpr std::string_view kCommands[] = {"open",   "bind", "listen",  "connect",
                                          "accept", "name", "setopt",  "getopt",
                                          "list",   "lane", "shutdown"};

void check_line(const std::string& line) {
    if (line.empty() || line.back() != '\n') __builtin_trap();
    if (!parse_reply(std::string_view(line).substr(0, line.size() - 1))) __builtin_trap();
}

void check(const SockRequest& r) {
    using Kind = SockRequest::Kind;
    const bool named = r.kind != Kind::open && r.kind != Kind::list && r.kind != Kind::lane;
    if (named && r.sock == 0) __builtin_trap();
    if (r.kind == Kind::setopt && (r.value < -1 || r.value > INT32_MAX)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (const auto change = shmifd::sockets::decode_lane_change(
            std::span(reinterpret_cast<const std::byte*>(data), size))) {
        if (change->sock == 0 || size != 16) __builtin_trap();
    }
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string_view line = input.substr(0, input.find('\n'));
    auto request = parse_request(line);
    if (!request) return 0;  // the control protocol's own fuzzer covers what does not parse
    std::string_view cmd = request->cmd;
    if (cmd.starts_with("sock."))
        cmd.remove_prefix(5);
    else if (!input.empty())
        cmd = kCommands[static_cast<unsigned char>(input.front()) % std::size(kCommands)];
    try {
        Args args(request->args);
        check(shmifd::sockets::decode_sock_request(cmd, args));
    } catch (const ArgumentError& error) {
        check_line(
            reply_line(request->id, std::unexpected(CommandError{error.code, error.what()})));
    }
    return 0;
}
