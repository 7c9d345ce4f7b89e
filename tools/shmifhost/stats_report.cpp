// --stats: every counter by name, one group per line, zeros included (a zero is an answer).
#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "host.hpp"

namespace shmifhost {
namespace {

using Field = std::pair<const char*, std::uint64_t>;

std::string group(const char* name, std::initializer_list<Field> fields) {
    std::string line = fmt::format("  {}:", name);
    for (const auto& [key, value] : fields)
        line += fmt::format(" {}={}", key, value);
    return line + "\n";
}

}  // namespace

std::string stats_report(const Host& host) {
    const netstack::StackStats& s = host.stack_stats();
    const auto& e = s.ethernet;
    const auto& a = s.arp;
    const auto& i = s.ipv4;
    const auto& c = s.icmp;
    const auto& u = s.udp;
    const auto& d = host.device().stats();
    const auto& w = host.device().writer_stats();
    const auto& p = host.port().stats();
    std::string out = "shmifhost: statistics\n";
    out += group("ethernet", {{"rx_frames", e.rx_frames},
                              {"rx_bytes", e.rx_bytes},
                              {"tx_frames", e.tx_frames},
                              {"tx_bytes", e.tx_bytes},
                              {"tx_dropped", e.tx_dropped},
                              {"drop_short", e.drop_short},
                              {"drop_not_for_us", e.drop_not_for_us},
                              {"drop_own_source", e.drop_own_source},
                              {"drop_vlan", e.drop_vlan},
                              {"drop_unknown_ethertype", e.drop_unknown_ethertype},
                              {"drop_interface_down", e.drop_interface_down}});
    out += group("arp", {{"rx_requests", a.rx_requests},
                         {"rx_replies", a.rx_replies},
                         {"tx_requests", a.tx_requests},
                         {"tx_replies", a.tx_replies},
                         {"tx_gratuitous", a.tx_gratuitous},
                         {"drop_malformed", a.drop_malformed},
                         {"drop_not_for_us", a.drop_not_for_us},
                         {"drop_bad_sender", a.drop_bad_sender},
                         {"resolve_failed", a.resolve_failed},
                         {"pending_dropped", a.pending_dropped},
                         {"cache_full", a.cache_full}});
    out += group("ipv4", {{"rx_packets", i.rx_packets},
                          {"rx_delivered", i.rx_delivered},
                          {"tx_packets", i.tx_packets},
                          {"forwarded", i.forwarded},
                          {"drop_short", i.drop_short},
                          {"drop_bad_version", i.drop_bad_version},
                          {"drop_bad_header_len", i.drop_bad_header_len},
                          {"drop_bad_total_len", i.drop_bad_total_len},
                          {"drop_bad_checksum", i.drop_bad_checksum},
                          {"drop_bad_source", i.drop_bad_source},
                          {"drop_not_for_us", i.drop_not_for_us},
                          {"drop_ttl_exceeded", i.drop_ttl_exceeded},
                          {"drop_no_route", i.drop_no_route},
                          {"drop_unknown_protocol", i.drop_unknown_protocol},
                          {"drop_df_too_big", i.drop_df_too_big},
                          {"drop_not_owner", i.drop_not_owner},
                          {"frag_received", i.frag_received},
                          {"frag_reassembled", i.frag_reassembled},
                          {"frag_timeout", i.frag_timeout},
                          {"frag_overlap", i.frag_overlap},
                          {"frag_memory_limit", i.frag_memory_limit},
                          {"frag_too_big", i.frag_too_big},
                          {"fragments_sent", i.fragments_sent}});
    out += group("icmp", {{"rx_echo_requests", c.rx_echo_requests},
                          {"rx_echo_replies", c.rx_echo_replies},
                          {"rx_errors", c.rx_errors},
                          {"tx_echo_requests", c.tx_echo_requests},
                          {"tx_echo_replies", c.tx_echo_replies},
                          {"tx_errors", c.tx_errors},
                          {"rate_limited", c.rate_limited},
                          {"drop_short", c.drop_short},
                          {"drop_bad_checksum", c.drop_bad_checksum},
                          {"drop_unknown_type", c.drop_unknown_type},
                          {"drop_no_socket", c.drop_no_socket}});
    out += group("udp", {{"rx_datagrams", u.rx_datagrams},
                         {"tx_datagrams", u.tx_datagrams},
                         {"drop_short", u.drop_short},
                         {"drop_bad_length", u.drop_bad_length},
                         {"drop_bad_checksum", u.drop_bad_checksum},
                         {"drop_no_socket", u.drop_no_socket},
                         {"drop_queue_full", u.drop_queue_full}});
    out += group("bus_device", {{"queued", d.queued},
                                {"batches", d.batches},
                                {"sent", d.sent},
                                {"dropped_batch_full", d.dropped_batch_full},
                                {"dropped_too_large", d.dropped_too_large},
                                {"dropped_send_error", d.dropped_send_error},
                                {"lock_contended", w.lock_contended},
                                {"lock_recoveries", w.lock_recoveries}});
    const auto& cs = host.cursor_stats();
    out += group("bus_port", {{"frames", p.frames},
                              {"truncated", p.truncated},
                              {"overruns", cs.overruns},
                              {"lost_frames", cs.lost_frames},
                              {"corrupt", cs.corrupt}});
    return out;
}

}  // namespace shmifhost
