// The classic test services (echo RFC 862, discard RFC 863, chargen RFC 864, a minimal
// HTTP/1.1 responder) as configured: kind, port, transport; and their text forms
// ("http", "http:8080", "echo:7/udp").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace services {

enum class ServiceKind : std::uint8_t { echo, discard, chargen, http };
enum class Transport : std::uint8_t { tcp, udp, both };

const char* kind_name(ServiceKind kind);
std::optional<ServiceKind> parse_kind(std::string_view text);
const char* transport_name(Transport transport);
std::optional<Transport> parse_transport(std::string_view text);
// 7, 9, 19, 80.
std::uint16_t default_port(ServiceKind kind);
// echo, discard and chargen exist over TCP and UDP (both by default); http over TCP only.
bool supports(ServiceKind kind, Transport transport);
Transport default_transport(ServiceKind kind);

struct ServiceSpec {
    ServiceKind kind = ServiceKind::echo;
    std::uint16_t port = 0;
    Transport transport = Transport::tcp;

    bool uses_tcp() const { return transport != Transport::udp; }
    bool uses_udp() const { return transport != Transport::tcp; }
    // "http:8080" (with "/udp" or "/tcp" when not the kind's default transport).
    std::string to_string() const;
    bool operator==(const ServiceSpec&) const = default;
};

// "KIND[:PORT][/tcp|/udp|/both]": the --serve argument. An error says what is wrong.
struct SpecError {
    std::string message;
};
std::optional<ServiceSpec> parse_service(std::string_view text, SpecError* error = nullptr);
// Validates a spec built from parts (the TOML table, a control request): port 1..65535 and
// a transport the kind supports. Empty when fine, else why not.
std::string check_service(const ServiceSpec& spec);
// Do two services need the same port of the same transport?
bool conflicts(const ServiceSpec& a, const ServiceSpec& b);

}  // namespace services
