// daemon/PROTOCOL.md, version 1: request and reply lines.
#include "shmifd/control/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace shmifd::control {
namespace {

using nlohmann::json;

constexpr auto commands = std::to_array<std::string_view>(
    {"version", "if.list", "if.add", "if.del", "if.up", "if.down", "addr.list", "addr.add",
     "addr.del", "route.list", "route.add", "route.del", "neigh.list", "neigh.flush", "ping",
     "udp.send", "udp.recv", "stats", "bus.stats", "config",
     // run-time configuration
     "if.set", "stack.set", "stack.show", "config.save",
     // test services and TCP
     "service.add", "service.del", "service.list", "tcp.list",
     // impairments
     "impair.set", "impair.clear", "impair.show",
     // the socket service
     "sock.open", "sock.bind", "sock.listen", "sock.connect", "sock.accept", "sock.name",
     "sock.setopt", "sock.getopt", "sock.list", "sock.lane",
     // port forwarding
     "fwd.add", "fwd.del", "fwd.list"});

std::string_view strip_cr(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

bool is_scalar(const json& value) {
    return value.is_primitive();
}

ProtocolError protocol_error(json id, const char* code, std::string message) {
    return ProtocolError{std::move(id), CommandError{code, std::move(message)}};
}

}  // namespace

std::span<const std::string_view> known_commands() {
    return commands;
}

bool is_known_command(std::string_view cmd) {
    const auto all = known_commands();
    return !cmd.empty() && std::ranges::find(all, cmd) != all.end();
}

std::string dump_json(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::expected<Request, ProtocolError> parse_request(std::string_view line) {
    line = strip_cr(line);
    // No exceptions on bad input: a discarded value says "not JSON".
    json message = json::parse(line, nullptr, false);
    if (message.is_discarded())
        return std::unexpected(protocol_error(nullptr, errc::parse_error, "not a JSON value"));
    if (!message.is_object())
        return std::unexpected(
            protocol_error(nullptr, errc::invalid_request,
                           fmt::format("a request is a JSON object, not {}", message.type_name())));
    Request request;
    if (const auto id = message.find("id"); id != message.end()) {
        if (!is_scalar(*id))
            return std::unexpected(
                protocol_error(nullptr, errc::invalid_request, "id must be a scalar"));
        request.id = *id;
    }
    const auto version = message.find("v");
    if (version == message.end())
        return std::unexpected(protocol_error(request.id, errc::invalid_request, "missing v"));
    if (!version->is_number_integer())
        return std::unexpected(
            protocol_error(request.id, errc::invalid_request, "v must be an integer"));
    if (version->is_number_unsigned() ? version->get<std::uint64_t>() != protocol_version
                                      : version->get<std::int64_t>() != protocol_version)
        return std::unexpected(protocol_error(
            request.id, errc::unsupported_version,
            fmt::format("protocol version {} is not supported (this daemon speaks {})",
                        version->dump(), protocol_version)));
    const auto cmd = message.find("cmd");
    if (cmd == message.end() || !cmd->is_string())
        return std::unexpected(
            protocol_error(request.id, errc::invalid_request, "cmd must be a string"));
    request.cmd = cmd->get<std::string>();
    if (const auto args = message.find("args"); args != message.end() && !args->is_null()) {
        if (!args->is_object())
            return std::unexpected(
                protocol_error(request.id, errc::invalid_request, "args must be an object"));
        request.args = std::move(*args);
    }
    return request;
}

// Written field by field so that the keys come in the order of daemon/PROTOCOL.md (json
// objects sort their keys).
std::string reply_line(const json& id, const Result& result) {
    std::string line = fmt::format("{{\"v\":{},\"id\":{},", protocol_version, dump_json(id));
    if (result) {
        line += "\"ok\":true,\"result\":" + dump_json(*result);
    } else {
        json error{{"code", result.error().code}, {"message", result.error().message}};
        if (!result.error().errno_name.empty()) error["errno"] = result.error().errno_name;
        line += "\"ok\":false,\"error\":" + dump_json(error);
    }
    return line + "}\n";
}

std::string error_line(const json& id, std::string_view code, std::string_view message) {
    return reply_line(id, std::unexpected(CommandError{std::string(code), std::string(message)}));
}

std::string request_line(const Request& request) {
    std::string line = fmt::format("{{\"v\":{},\"id\":{},\"cmd\":{}", request.version,
                                   dump_json(request.id), dump_json(request.cmd));
    if (request.args.is_object() && !request.args.empty())
        line += ",\"args\":" + dump_json(request.args);
    return line + "}\n";
}

std::expected<Reply, std::string> parse_reply(std::string_view line) {
    line = strip_cr(line);
    json message = json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object()) return std::unexpected("not a JSON object");
    const auto version = message.find("v");
    if (version == message.end() || !version->is_number_integer() ||
        version->get<std::int64_t>() != protocol_version)
        return std::unexpected("not a protocol-1 reply");
    Reply reply;
    if (const auto id = message.find("id"); id != message.end()) reply.id = *id;
    const auto ok = message.find("ok");
    if (ok == message.end() || !ok->is_boolean()) return std::unexpected("reply without ok");
    if (ok->get<bool>()) {
        const auto result = message.find("result");
        reply.result = result == message.end() ? json::object() : std::move(*result);
        return reply;
    }
    const auto error = message.find("error");
    if (error == message.end() || !error->is_object())
        return std::unexpected("error reply without error");
    const auto code = error->find("code");
    const auto text = error->find("message");
    if (code == error->end() || !code->is_string()) return std::unexpected("error without code");
    const auto errno_name = error->find("errno");
    reply.result = std::unexpected(CommandError{
        code->get<std::string>(),
        text != error->end() && text->is_string() ? text->get<std::string>() : std::string(),
        errno_name != error->end() && errno_name->is_string() ? errno_name->get<std::string>()
                                                              : std::string()});
    return reply;
}

}  // namespace shmifd::control
