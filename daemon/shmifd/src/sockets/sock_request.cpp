#include "sockets/sock_request.hpp"

#include <climits>

namespace shmifd::sockets {

namespace {

netstack::Endpoint endpoint_arg(control::Args& args) {
    const auto text = args.required_string("addr");
    // Either family's text: the socket's domain decides what it may name (socket_family.hpp).
    auto address = netstack::IpAddress::parse(text);
    if (!address) throw control::ArgumentError("addr: not an IP address: " + text);
    const auto port = args.required_uint("port", 0, 65535);
    return {*address, static_cast<std::uint16_t>(port)};
}

std::uint64_t sock_arg(control::Args& args) {
    return args.required_uint("sock", 1, UINT64_MAX);
}

}  // namespace

SockRequest decode_sock_request(std::string_view cmd, control::Args& args) {
    using Kind = SockRequest::Kind;
    SockRequest r;
    if (cmd == "open") {
        r.kind = Kind::open;
        const auto type = args.required_string("type");
        if (type != "tcp" && type != "udp")
            throw control::ArgumentError("type must be tcp or udp, not " + type);
        r.type = type == "tcp" ? SockType::tcp : SockType::udp;
        const auto domain = args.optional_string("domain").value_or("inet");
        if (domain != "inet" && domain != "inet6")
            throw control::ArgumentError("domain must be inet or inet6, not " + domain);
        r.domain = domain == "inet" ? SockDomain::inet : SockDomain::inet6;
    } else if (cmd == "bind") {
        r.kind = Kind::bind;
        r.sock = sock_arg(args);
        r.endpoint = endpoint_arg(args);
    } else if (cmd == "connect") {
        r.kind = Kind::connect;
        r.sock = sock_arg(args);
        r.disconnect = args.optional_bool("disconnect").value_or(false);
        if (!r.disconnect) {
            r.endpoint = endpoint_arg(args);
            r.wait = args.optional_bool("wait").value_or(true);
        }
    } else if (cmd == "listen") {
        r.kind = Kind::listen;
        r.sock = sock_arg(args);
        r.backlog =
            static_cast<std::uint32_t>(args.optional_uint("backlog", 0, UINT32_MAX).value_or(128));
        r.handoff = args.optional_bool("handoff").value_or(false);
    } else if (cmd == "accept" || cmd == "name") {
        r.kind = cmd == "accept" ? Kind::accept : Kind::name;
        r.sock = sock_arg(args);
    } else if (cmd == "setopt" || cmd == "getopt") {
        r.kind = cmd == "setopt" ? Kind::setopt : Kind::getopt;
        r.sock = sock_arg(args);
        r.option = args.required_string("name");
        if (r.kind == Kind::setopt) r.value = args.required_int("value", -1, INT32_MAX);
    } else if (cmd == "list") {
        r.kind = Kind::list;
    } else if (cmd == "lane") {
        r.kind = Kind::lane;
        r.sock = args.optional_uint("sock", 1, UINT64_MAX).value_or(0);
    } else {
        throw control::ArgumentError("no such socket command", "unknown_command");
    }
    args.finish();
    return r;
}

}  // namespace shmifd::sockets
