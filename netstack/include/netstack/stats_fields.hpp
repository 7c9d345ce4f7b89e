// Every counter by name, from one list per counter struct: for_each_counter(stats, fn) calls
// fn(name, member) for each counter (const or not, so the same list serves reports, JSON and
// sums), and for_each_group(stack_stats, fn) calls fn(group_name, group). A new counter is one
// line in stats.hpp and one here.
#pragma once

#include <type_traits>

#include "netstack/stats.hpp"

namespace netstack {

template <class S, class T>
concept CounterStruct = std::is_same_v<std::remove_const_t<S>, T>;

template <CounterStruct<EthernetStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_frames", s.rx_frames);
    fn("rx_bytes", s.rx_bytes);
    fn("tx_frames", s.tx_frames);
    fn("tx_bytes", s.tx_bytes);
    fn("tx_dropped", s.tx_dropped);
    fn("drop_short", s.drop_short);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("drop_own_source", s.drop_own_source);
    fn("drop_vlan", s.drop_vlan);
    fn("drop_unknown_ethertype", s.drop_unknown_ethertype);
    fn("drop_interface_down", s.drop_interface_down);
}

template <CounterStruct<ArpStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_requests", s.rx_requests);
    fn("rx_replies", s.rx_replies);
    fn("tx_requests", s.tx_requests);
    fn("tx_replies", s.tx_replies);
    fn("tx_gratuitous", s.tx_gratuitous);
    fn("drop_malformed", s.drop_malformed);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("drop_bad_sender", s.drop_bad_sender);
    fn("resolve_failed", s.resolve_failed);
    fn("nud_failed", s.nud_failed);
    fn("tx_address_probes", s.tx_address_probes);
    fn("address_conflicts", s.address_conflicts);
    fn("tx_defences", s.tx_defences);
    fn("pending_dropped", s.pending_dropped);
    fn("cache_full", s.cache_full);
}

template <CounterStruct<Ipv4Stats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_packets", s.rx_packets);
    fn("rx_delivered", s.rx_delivered);
    fn("tx_packets", s.tx_packets);
    fn("forwarded", s.forwarded);
    fn("drop_short", s.drop_short);
    fn("drop_bad_version", s.drop_bad_version);
    fn("drop_bad_header_len", s.drop_bad_header_len);
    fn("drop_bad_total_len", s.drop_bad_total_len);
    fn("drop_bad_checksum", s.drop_bad_checksum);
    fn("drop_bad_source", s.drop_bad_source);
    fn("drop_martian", s.drop_martian);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("drop_ttl_exceeded", s.drop_ttl_exceeded);
    fn("drop_no_route", s.drop_no_route);
    fn("drop_unknown_protocol", s.drop_unknown_protocol);
    fn("drop_df_too_big", s.drop_df_too_big);
    fn("drop_not_owner", s.drop_not_owner);
    fn("frag_received", s.frag_received);
    fn("frag_reassembled", s.frag_reassembled);
    fn("frag_timeout", s.frag_timeout);
    fn("frag_overlap", s.frag_overlap);
    fn("frag_memory_limit", s.frag_memory_limit);
    fn("frag_too_big", s.frag_too_big);
    fn("fragments_sent", s.fragments_sent);
}

template <CounterStruct<IcmpStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_echo_requests", s.rx_echo_requests);
    fn("rx_echo_replies", s.rx_echo_replies);
    fn("rx_errors", s.rx_errors);
    fn("tx_echo_requests", s.tx_echo_requests);
    fn("tx_echo_replies", s.tx_echo_replies);
    fn("tx_errors", s.tx_errors);
    fn("rate_limited", s.rate_limited);
    fn("drop_short", s.drop_short);
    fn("drop_bad_checksum", s.drop_bad_checksum);
    fn("drop_unknown_type", s.drop_unknown_type);
    fn("drop_no_socket", s.drop_no_socket);
    fn("drop_broadcast_echo", s.drop_broadcast_echo);
    fn("drop_queue_full", s.drop_queue_full);
}

template <CounterStruct<UdpStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_datagrams", s.rx_datagrams);
    fn("tx_datagrams", s.tx_datagrams);
    fn("drop_short", s.drop_short);
    fn("drop_bad_length", s.drop_bad_length);
    fn("drop_bad_checksum", s.drop_bad_checksum);
    fn("drop_no_socket", s.drop_no_socket);
    fn("drop_queue_full", s.drop_queue_full);
}

template <CounterStruct<TcpStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_segments", s.rx_segments);
    fn("tx_segments", s.tx_segments);
    fn("retransmits", s.retransmits);
    fn("fast_retransmits", s.fast_retransmits);
    fn("sack_recoveries", s.sack_recoveries);
    fn("sack_retransmits", s.sack_retransmits);
    fn("sack_blocks_received", s.sack_blocks_received);
    fn("sack_blocks_invalid", s.sack_blocks_invalid);
    fn("timeouts", s.timeouts);
    fn("active_opens", s.active_opens);
    fn("passive_opens", s.passive_opens);
    fn("rx_resets", s.rx_resets);
    fn("tx_resets", s.tx_resets);
    fn("challenge_acks", s.challenge_acks);
    fn("challenge_acks_limited", s.challenge_acks_limited);
    fn("window_probes", s.window_probes);
    fn("keepalive_probes", s.keepalive_probes);
    fn("connections_timed_out", s.connections_timed_out);
    fn("time_wait_reused", s.time_wait_reused);
    fn("urgent_sent", s.urgent_sent);
    fn("urgent_received", s.urgent_received);
    fn("drop_short", s.drop_short);
    fn("drop_bad_offset", s.drop_bad_offset);
    fn("drop_bad_option", s.drop_bad_option);
    fn("drop_bad_checksum", s.drop_bad_checksum);
    fn("drop_bad_address", s.drop_bad_address);
    fn("drop_not_owner", s.drop_not_owner);
    fn("drop_no_listener", s.drop_no_listener);
    fn("drop_out_of_window", s.drop_out_of_window);
    fn("drop_paws", s.drop_paws);
    fn("drop_syn_queue_full", s.drop_syn_queue_full);
    fn("cookies_sent", s.cookies_sent);
    fn("cookies_validated", s.cookies_validated);
    fn("cookies_failed", s.cookies_failed);
    fn("cookies_over_half_open", s.cookies_over_half_open);
    fn("time_wait_overflow", s.time_wait_overflow);
    fn("drop_accept_queue_full", s.drop_accept_queue_full);
    fn("drop_out_of_order_full", s.drop_out_of_order_full);
    fn("drop_connection_limit", s.drop_connection_limit);
}

template <CounterStruct<Ipv6Stats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_packets", s.rx_packets);
    fn("rx_delivered", s.rx_delivered);
    fn("tx_packets", s.tx_packets);
    fn("forwarded", s.forwarded);
    fn("drop_malformed", s.drop_malformed);
    fn("drop_bad_extension", s.drop_bad_extension);
    fn("drop_bad_source", s.drop_bad_source);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("drop_tentative", s.drop_tentative);
    fn("drop_no_route", s.drop_no_route);
    fn("drop_unknown_protocol", s.drop_unknown_protocol);
    fn("drop_too_big", s.drop_too_big);
    fn("drop_not_owner", s.drop_not_owner);
    fn("drop_hop_limit", s.drop_hop_limit);
    fn("drop_scope", s.drop_scope);
    fn("drop_unroutable", s.drop_unroutable);
    fn("fragments_sent", s.fragments_sent);
    fn("frag_received", s.frag_received);
    fn("frag_reassembled", s.frag_reassembled);
    fn("frag_atomic", s.frag_atomic);
    fn("frag_timeout", s.frag_timeout);
    fn("frag_overlap", s.frag_overlap);
    fn("frag_memory_limit", s.frag_memory_limit);
    fn("frag_too_big", s.frag_too_big);
    fn("frag_bad_length", s.frag_bad_length);
}

template <CounterStruct<Icmpv6Stats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_echo_requests", s.rx_echo_requests);
    fn("rx_echo_replies", s.rx_echo_replies);
    fn("tx_echo_requests", s.tx_echo_requests);
    fn("tx_echo_replies", s.tx_echo_replies);
    fn("rx_errors", s.rx_errors);
    fn("tx_errors", s.tx_errors);
    fn("drop_malformed", s.drop_malformed);
    fn("drop_rate_limited", s.drop_rate_limited);
    fn("drop_unknown_type", s.drop_unknown_type);
}

template <CounterStruct<NdpStats> S, class Fn>
void for_each_counter(S& s, Fn&& fn) {
    fn("rx_solicitations", s.rx_solicitations);
    fn("rx_advertisements", s.rx_advertisements);
    fn("tx_solicitations", s.tx_solicitations);
    fn("tx_advertisements", s.tx_advertisements);
    fn("drop_invalid", s.drop_invalid);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("dad_succeeded", s.dad_succeeded);
    fn("dad_duplicates", s.dad_duplicates);
    fn("address_conflicts", s.address_conflicts);
    fn("rx_router_solicitations", s.rx_router_solicitations);
    fn("rx_router_advertisements", s.rx_router_advertisements);
    fn("tx_router_solicitations", s.tx_router_solicitations);
    fn("tx_router_advertisements", s.tx_router_advertisements);
    fn("ra_ignored", s.ra_ignored);
    fn("prefixes_ignored", s.prefixes_ignored);
    fn("slaac_addresses", s.slaac_addresses);
    fn("addresses_expired", s.addresses_expired);
    fn("routers_expired", s.routers_expired);
}

template <CounterStruct<StackStats> S, class Fn>
void for_each_group(S& s, Fn&& fn) {
    fn("ethernet", s.ethernet);
    fn("arp", s.arp);
    fn("ipv4", s.ipv4);
    fn("icmp", s.icmp);
    fn("ipv6", s.ipv6);
    fn("icmpv6", s.icmpv6);
    fn("ndp", s.ndp);
    fn("udp", s.udp);
    fn("tcp", s.tcp);
}

}  // namespace netstack
