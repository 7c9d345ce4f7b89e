#include "config_json.hpp"

namespace shmifd {

namespace {

std::int64_t millis(netstack::Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

nlohmann::json advertise_json(const AdvertiseSpec& a) {
    nlohmann::json j{{"prefixes", nlohmann::json::array()},
                     {"min_interval", a.min_interval},
                     {"max_interval", a.max_interval},
                     {"valid_lifetime", a.valid_lifetime},
                     {"preferred_lifetime", a.preferred_lifetime},
                     {"mtu", a.mtu}};
    for (const auto& p : a.prefixes)
        j["prefixes"].push_back(p.to_string());
    if (a.router_lifetime) j["router_lifetime"] = *a.router_lifetime;  // unset: by forwarding
    return j;
}

nlohmann::json interface_json(const InterfaceSpec& spec) {
    nlohmann::json j{{"name", spec.name},
                     {"bus", spec.bus},
                     {"format", shmif::format_name(spec.format)},
                     {"create", spec.create},
                     {"mtu", spec.mtu},
                     {"promisc", spec.promisc},
                     {"up", spec.up},
                     {"impair_egress", shmif::impair::format_netem(spec.impair_egress)},
                     {"impair_ingress", shmif::impair::format_netem(spec.impair_ingress)},
                     {"addresses", nlohmann::json::array()}};
    if (spec.mac) j["mac"] = spec.mac->to_string();
    for (const auto& a : spec.addresses)
        j["addresses"].push_back(a.to_string());
    if (spec.advertise) j["advertise"] = advertise_json(*spec.advertise);
    return j;
}

}  // namespace

std::string route_destination_text(const netstack::IpCidr& dst) {
    // IPv6's default route is written out: "default" alone reads back as IPv4's.
    return dst.prefix_len == 0 && dst.is_v4() ? "default" : dst.to_string();
}

std::string route_text(const RouteSpec& r) {
    std::string text = route_destination_text(r.dst);
    if (r.via) text += " via " + r.via->to_string();
    if (r.interface) text += " dev " + *r.interface;
    if (r.metric != 0) text += " metric " + std::to_string(r.metric);
    return text;
}

nlohmann::json to_json(const RouteSpec& route) {
    nlohmann::json j{{"dst", route_destination_text(route.dst)}, {"metric", route.metric}};
    if (route.via) j["via"] = route.via->to_string();
    if (route.interface) j["if"] = *route.interface;
    return j;
}

nlohmann::json stack_to_json(const netstack::StackConfig& s) {
    return {{"forwarding", s.forwarding},
            {"ttl", s.default_ttl},
            {"ipv6", s.ipv6.enabled},
            {"accept_ra", s.ipv6.accept_ra},
            {"hop_limit", s.ipv6.default_hop_limit},
            {"dad_transmits", s.ipv6.dad_transmits},
            {"udp_queue_datagrams", s.udp_rx_queue_datagrams},
            {"udp_queue_bytes", s.udp_rx_queue_bytes},
            {"arp",
             {{"reachable_ms", millis(s.arp.reachable_time)},
              {"stale_ms", millis(s.arp.stale_time)},
              {"retry_ms", millis(s.arp.retry_interval)},
              {"max_retries", s.arp.max_retries},
              {"delay_first_probe_ms", millis(s.arp.delay_first_probe)},
              {"ucast_probes", s.arp.ucast_probes},
              {"probe_wait_ms", millis(s.arp.probe_wait)},
              {"probe_count", s.arp.probe_count},
              {"defend_interval_ms", millis(s.arp.defend_interval)},
              {"max_entries", s.arp.max_entries},
              {"max_pending_per_entry", s.arp.max_pending_per_entry},
              {"max_pending_total", s.arp.max_pending_total}}},
            {"reassembly",
             {{"timeout_ms", millis(s.reassembly.timeout)},
              {"max_bytes", s.reassembly.max_bytes},
              {"max_datagrams", s.reassembly.max_datagrams}}},
            {"icmp", {{"per_second", s.icmp.per_second}, {"burst", s.icmp.burst}}}};
}

nlohmann::json to_json(const Config& config) {
    nlohmann::json daemon{{"socket", config.daemon.socket},
                          {"workers", config.daemon.workers},
                          {"pin_workers", config.daemon.pin_workers},
                          {"log_level", config.daemon.log_level},
                          {"drain_ms", config.daemon.drain_ms},
                          {"loopback", config.daemon.loopback},
                          {"forward_max_connections", config.daemon.forward_max_connections}};
    if (config.daemon.socket_group) daemon["socket_group"] = *config.daemon.socket_group;
    nlohmann::json j{{"daemon", daemon},
                     {"stack", stack_to_json(config.stack)},
                     {"interface", nlohmann::json::array()},
                     {"route", nlohmann::json::array()}};
    for (const auto& i : config.interfaces)
        j["interface"].push_back(interface_json(i));
    for (const auto& r : config.routes)
        j["route"].push_back(to_json(r));
    if (!config.services.empty()) {
        j["service"] = nlohmann::json::array();
        for (const auto& s : config.services)
            j["service"].push_back({{"kind", services::kind_name(s.kind)},
                                    {"port", s.port},
                                    {"proto", services::transport_name(s.transport)}});
    }
    for (const auto& f : config.forwards) {
        nlohmann::json row{{"spec", f.to_string()}, {"max_connections", f.max_connections}};
        if (f.protocol == forward::Protocol::udp) row["udp_timeout_ms"] = f.udp_timeout_ms;
        j[forward::direction_name(f.direction)].push_back(std::move(row));
    }
    return j;
}

}  // namespace shmifd
