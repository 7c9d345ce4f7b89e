#include "services/service_spec.hpp"

#include <charconv>

namespace services {

const char* kind_name(ServiceKind kind) {
    switch (kind) {
        case ServiceKind::echo:
            return "echo";
        case ServiceKind::discard:
            return "discard";
        case ServiceKind::chargen:
            return "chargen";
        case ServiceKind::http:
            return "http";
    }
    return "?";
}

std::optional<ServiceKind> parse_kind(std::string_view text) {
    for (auto kind :
         {ServiceKind::echo, ServiceKind::discard, ServiceKind::chargen, ServiceKind::http})
        if (text == kind_name(kind)) return kind;
    return std::nullopt;
}

const char* transport_name(Transport transport) {
    switch (transport) {
        case Transport::tcp:
            return "tcp";
        case Transport::udp:
            return "udp";
        case Transport::both:
            return "both";
    }
    return "?";
}

std::optional<Transport> parse_transport(std::string_view text) {
    for (auto t : {Transport::tcp, Transport::udp, Transport::both})
        if (text == transport_name(t)) return t;
    return std::nullopt;
}

std::uint16_t default_port(ServiceKind kind) {
    switch (kind) {
        case ServiceKind::echo:
            return 7;
        case ServiceKind::discard:
            return 9;
        case ServiceKind::chargen:
            return 19;
        case ServiceKind::http:
            return 80;
    }
    return 0;
}

bool supports(ServiceKind kind, Transport transport) {
    return kind != ServiceKind::http || transport == Transport::tcp;
}

Transport default_transport(ServiceKind kind) {
    return kind == ServiceKind::http ? Transport::tcp : Transport::both;
}

std::string ServiceSpec::to_string() const {
    std::string text = std::string(kind_name(kind)) + ":" + std::to_string(port);
    if (transport != default_transport(kind)) text += std::string("/") + transport_name(transport);
    return text;
}

std::optional<ServiceSpec> parse_service(std::string_view text, SpecError* error) {
    auto fail = [&](std::string why) -> std::optional<ServiceSpec> {
        if (error) error->message = std::move(why);
        return std::nullopt;
    };
    std::string_view rest = text;
    std::optional<Transport> transport;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        transport = parse_transport(rest.substr(slash + 1));
        if (!transport) return fail("the transport after / must be tcp, udp or both");
        rest = rest.substr(0, slash);
    }
    std::optional<std::uint16_t> port;
    if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
        const auto digits = rest.substr(colon + 1);
        std::uint32_t value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            value == 0 || value > 65535)
            return fail("the port after : must be 1 to 65535");
        port = static_cast<std::uint16_t>(value);
        rest = rest.substr(0, colon);
    }
    const auto kind = parse_kind(rest);
    if (!kind)
        return fail("unknown service '" + std::string(rest) + "' (echo, discard, chargen, http)");
    ServiceSpec spec{.kind = *kind,
                     .port = port.value_or(default_port(*kind)),
                     .transport = transport.value_or(default_transport(*kind))};
    if (auto why = check_service(spec); !why.empty()) return fail(why);
    return spec;
}

std::string check_service(const ServiceSpec& spec) {
    if (spec.port == 0) return "the port must be 1 to 65535";
    if (!supports(spec.kind, spec.transport))
        return std::string(kind_name(spec.kind)) + " runs over tcp only";
    return {};
}

bool conflicts(const ServiceSpec& a, const ServiceSpec& b) {
    return a.port == b.port && ((a.uses_tcp() && b.uses_tcp()) || (a.uses_udp() && b.uses_udp()));
}

}  // namespace services
