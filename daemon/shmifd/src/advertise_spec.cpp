#include "advertise_spec.hpp"

namespace shmifd {

namespace {
constexpr std::uint32_t default_router_lifetime = 1800;  // RFC 4861 6.2.1: 3 x MaxRtrAdvInterval
constexpr std::size_t max_prefixes = 4;                  // what one advertisement of ours carries
}  // namespace

std::optional<netstack::Ipv6Cidr> parse_advertised_prefix(std::string_view text, std::string& why) {
    auto cidr =
        text.find('/') == std::string_view::npos ? std::nullopt : netstack::Ipv6Cidr::parse(text);
    if (!cidr) {
        why = "an IPv6 prefix x:x::/n is needed, not " + std::string(text);
        return std::nullopt;
    }
    if (cidr->prefix_len > 64) {
        why = std::string(text) + ": hosts form addresses in a /64 (RFC 4862 5.5.3), so at most 64";
        return std::nullopt;
    }
    if (cidr->address.is_link_local() || cidr->address.is_multicast() ||
        cidr->address.is_loopback() || cidr->address.is_v4_mapped()) {
        why = std::string(text) + ": not a prefix to advertise (link-local, multicast or special)";
        return std::nullopt;
    }
    return netstack::Ipv6Cidr{cidr->network(), cidr->prefix_len};
}

std::string check_advertise(const AdvertiseSpec& spec) {
    if (spec.prefixes.size() > max_prefixes)
        return "at most " + std::to_string(max_prefixes) + " prefixes";
    if (spec.max_interval < 4 || spec.max_interval > 1800)
        return "max_interval must be from 4 to 1800 seconds (RFC 4861 6.2.1)";
    if (spec.min_interval < 3 || spec.min_interval * 4 > spec.max_interval * 3)
        return "min_interval must be from 3 seconds to 0.75 x max_interval (RFC 4861 6.2.1)";
    if (spec.router_lifetime && *spec.router_lifetime != 0 &&
        (*spec.router_lifetime < spec.max_interval || *spec.router_lifetime > 9000))
        return "router_lifetime must be 0 or from max_interval to 9000 seconds (RFC 4861 6.2.1)";
    if (spec.preferred_lifetime > spec.valid_lifetime)
        return "preferred_lifetime must not exceed valid_lifetime";
    return {};
}

netstack::RouterAdvertConfig router_advert_config(const AdvertiseSpec& spec, bool forwarding) {
    using std::chrono::seconds;
    const std::uint32_t lifetime =
        spec.router_lifetime.value_or(forwarding ? default_router_lifetime : 0);
    return {.prefixes = spec.prefixes,
            .router_lifetime = seconds(lifetime),
            .valid_lifetime = seconds(spec.valid_lifetime),
            .preferred_lifetime = seconds(spec.preferred_lifetime),
            .min_interval = seconds(spec.min_interval),
            .max_interval = seconds(spec.max_interval),
            .advertise_mtu = spec.mtu};
}

}  // namespace shmifd
