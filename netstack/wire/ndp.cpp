#include "wire/ndp.hpp"

#include <algorithm>

namespace netstack::wire {

namespace {

// The bytes between the ICMPv6 header and the options (RFC 4861 4.1-4.4).
std::size_t fixed_len(Icmpv6Type type) {
    switch (type) {
        case Icmpv6Type::router_advertisement:
            return 8;
        case Icmpv6Type::neighbor_solicitation:
        case Icmpv6Type::neighbor_advertisement:
            return 16;
        default:
            return 0;
    }
}

constexpr std::size_t link_addr_option_len = 8;  // Ethernet (RFC 2464 6)
constexpr std::size_t prefix_option_len = 32;
constexpr std::size_t mtu_option_len = 8;

constexpr std::uint32_t ra_managed = 0x0080'0000, ra_other = 0x0040'0000;
constexpr std::uint32_t na_router = 0x8000'0000, na_solicited = 0x4000'0000,
                        na_override = 0x2000'0000;
constexpr std::uint8_t prefix_on_link = 0x80, prefix_autonomous = 0x40;

std::expected<void, NdpError> parse_option(Bytes option, NdpRepr& nd) {
    const std::uint8_t type = load8(option, 0);
    auto expect_len = [&](std::size_t len) { return option.size() == len; };
    switch (type) {
        case ndp_option::source_link_addr:
        case ndp_option::target_link_addr: {
            if (!expect_len(link_addr_option_len)) return std::unexpected(NdpError::bad_option);
            auto& slot = type == ndp_option::source_link_addr ? nd.source_mac : nd.target_mac;
            if (!slot) slot = load_mac(option, 2);
            return {};
        }
        case ndp_option::prefix_info: {
            if (!expect_len(prefix_option_len)) return std::unexpected(NdpError::bad_option);
            if (nd.prefix_count == ndp_max_prefixes) return {};
            const std::uint8_t flags = load8(option, 3);
            nd.prefixes[nd.prefix_count++] = NdpPrefixInfo{
                .prefix_len = load8(option, 2),
                .on_link = (flags & prefix_on_link) != 0,
                .autonomous = (flags & prefix_autonomous) != 0,
                .valid_lifetime = load32(option, 4),
                .preferred_lifetime = load32(option, 8),
                .prefix = load_ipv6(option, 16),
            };
            return {};
        }
        case ndp_option::mtu:
            if (!expect_len(mtu_option_len)) return std::unexpected(NdpError::bad_option);
            if (!nd.mtu) nd.mtu = load32(option, 4);
            return {};
        default:
            return {};  // RFC 4861 4.6: unrecognized options are ignored
    }
}

// ff02::1:ff00:0/104 (RFC 4291 2.7.1).
bool is_solicited_node(const Ipv6Address& a) {
    constexpr std::array<std::uint8_t, 13> prefix{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
    return std::equal(prefix.begin(), prefix.end(), a.bytes.begin());
}

}  // namespace

std::expected<NdpRepr, NdpError> NdpRepr::parse(const Icmpv6Repr& message) {
    const auto type = Icmpv6Type(message.type);
    if (type != Icmpv6Type::router_solicitation && type != Icmpv6Type::router_advertisement &&
        type != Icmpv6Type::neighbor_solicitation && type != Icmpv6Type::neighbor_advertisement)
        return std::unexpected(NdpError::not_ndp);
    if (message.code != 0) return std::unexpected(NdpError::bad_code);
    const Bytes body = message.data;
    const std::size_t fixed = fixed_len(type);
    if (body.size() < fixed) return std::unexpected(NdpError::short_message);

    NdpRepr nd{.type = type};
    const std::uint32_t rest = message.rest;
    if (type == Icmpv6Type::router_advertisement) {
        nd.cur_hop_limit = static_cast<std::uint8_t>(rest >> 24);
        nd.managed = (rest & ra_managed) != 0;
        nd.other = (rest & ra_other) != 0;
        nd.router_lifetime = static_cast<std::uint16_t>(rest & 0xffff);
        nd.reachable_time = load32(body, 0);
        nd.retrans_timer = load32(body, 4);
    } else if (fixed == 16) {
        nd.target = load_ipv6(body, 0);
        if (nd.target.is_multicast()) return std::unexpected(NdpError::multicast_target);
        if (type == Icmpv6Type::neighbor_advertisement) {
            nd.router = (rest & na_router) != 0;
            nd.solicited = (rest & na_solicited) != 0;
            nd.override = (rest & na_override) != 0;
        }
    }

    // RFC 4861 4.6: every option has a length of at least 1 and fits in the message;
    // otherwise the whole message is dropped.
    Bytes options = body.subspan(fixed);
    while (!options.empty()) {
        if (options.size() < 2) return std::unexpected(NdpError::bad_option_length);
        const std::size_t len = std::size_t{load8(options, 1)} * 8;
        if (len == 0 || len > options.size()) return std::unexpected(NdpError::bad_option_length);
        if (auto ok = parse_option(options.first(len), nd); !ok) return std::unexpected(ok.error());
        options = options.subspan(len);
    }
    return nd;
}

std::size_t NdpRepr::buffer_len() const {
    return icmpv6_header_len + fixed_len(type) + (source_mac ? link_addr_option_len : 0) +
           (target_mac ? link_addr_option_len : 0) + (mtu ? mtu_option_len : 0) +
           std::size_t{prefix_count} * prefix_option_len;
}

void NdpRepr::emit(MutableBytes out, const Ipv6Address& src, const Ipv6Address& dst) const {
    const MutableBytes message = out.first(buffer_len());
    std::ranges::fill(message, std::byte{0});
    store8(message, 0, std::uint8_t(type));
    std::uint32_t rest = 0;
    if (type == Icmpv6Type::router_advertisement) {
        rest = std::uint32_t(cur_hop_limit) << 24 | (managed ? ra_managed : 0) |
               (other ? ra_other : 0) | router_lifetime;
        store32(message, 8, reachable_time);
        store32(message, 12, retrans_timer);
    } else if (fixed_len(type) == 16) {
        if (type == Icmpv6Type::neighbor_advertisement)
            rest = (router ? na_router : 0) | (solicited ? na_solicited : 0) |
                   (override ? na_override : 0);
        store_ipv6(message, 8, target);
    }
    store32(message, 4, rest);

    std::size_t at = icmpv6_header_len + fixed_len(type);
    auto put_header = [&](std::uint8_t option, std::size_t len) {
        store8(message, at, option);
        store8(message, at + 1, static_cast<std::uint8_t>(len / 8));
    };
    for (const auto& [option, mac] : {std::pair{ndp_option::source_link_addr, source_mac},
                                      std::pair{ndp_option::target_link_addr, target_mac}}) {
        if (!mac) continue;
        put_header(option, link_addr_option_len);
        store_mac(message, at + 2, *mac);
        at += link_addr_option_len;
    }
    if (mtu) {
        put_header(ndp_option::mtu, mtu_option_len);
        store32(message, at + 4, *mtu);
        at += mtu_option_len;
    }
    for (std::size_t i = 0; i < prefix_count; ++i) {
        const NdpPrefixInfo& p = prefixes[i];
        put_header(ndp_option::prefix_info, prefix_option_len);
        store8(message, at + 2, p.prefix_len);
        store8(message, at + 3,
               static_cast<std::uint8_t>((p.on_link ? prefix_on_link : 0) |
                                         (p.autonomous ? prefix_autonomous : 0)));
        store32(message, at + 4, p.valid_lifetime);
        store32(message, at + 8, p.preferred_lifetime);
        store_ipv6(message, at + 16, p.prefix);
        at += prefix_option_len;
    }
    fill_icmpv6_checksum(message, src, dst);
}

std::expected<void, NdpError> validate_nd(const Ipv6Repr& ip, const NdpRepr& nd) {
    if (ip.hop_limit != ndp_hop_limit) return std::unexpected(NdpError::bad_hop_limit);
    switch (nd.type) {
        case Icmpv6Type::router_solicitation:
            if (ip.src.is_any() && nd.source_mac) return std::unexpected(NdpError::bad_source);
            break;
        case Icmpv6Type::router_advertisement:
            if (!ip.src.is_link_local()) return std::unexpected(NdpError::bad_source);
            break;
        case Icmpv6Type::neighbor_solicitation:
            if (ip.src.is_any()) {
                if (nd.source_mac) return std::unexpected(NdpError::bad_source);
                if (!is_solicited_node(ip.dst)) return std::unexpected(NdpError::bad_destination);
            }
            break;
        case Icmpv6Type::neighbor_advertisement:
            if (ip.dst.is_multicast() && nd.solicited)
                return std::unexpected(NdpError::bad_destination);
            break;
        default:
            return std::unexpected(NdpError::not_ndp);
    }
    return {};
}

}  // namespace netstack::wire
