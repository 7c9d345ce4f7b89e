// The test-service and TCP commands of DaemonHandler: service.add, service.del,
// service.list, tcp.list (daemon/PROTOCOL.md).
#include "command_handler.hpp"

namespace shmifd {

namespace {

using control::Args;
using control::ArgumentError;
using control::Done;
using control::Result;

// `name` ("http:8080", as --serve takes it) or `kind` with optional `port` and `proto`.
services::ServiceSpec service_arg(Args& a) {
    const auto name = a.optional_string("name");
    const auto kind_text = a.optional_string("kind");
    const auto port = a.optional_uint("port", 1, 65535);
    const auto proto = a.optional_string("proto");
    if (name.has_value() == kind_text.has_value())
        throw ArgumentError("give name (KIND[:PORT][/PROTO]) or kind");
    services::ServiceSpec spec;
    if (name) {
        if (port || proto) throw ArgumentError("name already holds the port and proto");
        services::SpecError error;
        auto parsed = services::parse_service(*name, &error);
        if (!parsed) throw ArgumentError("name: " + error.message);
        return *parsed;
    }
    auto kind = services::parse_kind(*kind_text);
    if (!kind) throw ArgumentError("kind must be echo, discard, chargen or http");
    spec.kind = *kind;
    spec.port = port ? static_cast<std::uint16_t>(*port) : services::default_port(*kind);
    spec.transport = services::default_transport(*kind);
    if (proto) {
        auto transport = services::parse_transport(*proto);
        if (!transport) throw ArgumentError("proto must be tcp, udp or both");
        spec.transport = *transport;
    }
    if (auto why = services::check_service(spec); !why.empty()) throw ArgumentError(why);
    return spec;
}

}  // namespace

void DaemonHandler::service_add(Args& a, Done& done) {
    const auto spec = service_arg(a);
    a.finish();
    later(done, [this, spec]() -> Result {
        if (auto o = dataplane_.add_service(spec); !o) return std::unexpected(o.error());
        return nlohmann::json::object();
    });
}

void DaemonHandler::service_del(Args& a, Done& done) {
    // By name, or by port (+ proto, default tcp) with kind optional.
    std::uint16_t port = 0;
    auto transport = services::Transport::tcp;
    std::optional<services::ServiceKind> kind;
    if (a.optional_string("name") || a.optional_string("kind")) {
        const auto spec = service_arg(a);  // reads name, kind, port and proto again
        a.finish();
        port = spec.port;
        transport = spec.transport;
        kind = spec.kind;
    } else {
        port = static_cast<std::uint16_t>(a.required_uint("port", 1, 65535));
        if (auto proto = a.optional_string("proto")) {
            auto t = services::parse_transport(*proto);
            if (!t) throw ArgumentError("proto must be tcp, udp or both");
            transport = *t;
        }
        a.finish();
    }
    later(done, [this, port, transport, kind]() -> Result {
        if (auto o = dataplane_.remove_service(port, transport, kind); !o)
            return std::unexpected(o.error());
        return nlohmann::json::object();
    });
}

void DaemonHandler::service_list(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return dataplane_.services_json(); });
}

void DaemonHandler::tcp_list(Args& a, Done& done) {
    a.finish();
    later(done, [this]() -> Result { return dataplane_.tcp_json(); });
}

}  // namespace shmifd
