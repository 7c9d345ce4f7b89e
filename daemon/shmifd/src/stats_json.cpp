#include "stats_json.hpp"

namespace shmifd {

namespace {

// The field lists: fn(name, member) for every counter.
template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, netstack::EthernetStats> {
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

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, netstack::ArpStats> {
    fn("rx_requests", s.rx_requests);
    fn("rx_replies", s.rx_replies);
    fn("tx_requests", s.tx_requests);
    fn("tx_replies", s.tx_replies);
    fn("tx_gratuitous", s.tx_gratuitous);
    fn("drop_malformed", s.drop_malformed);
    fn("drop_not_for_us", s.drop_not_for_us);
    fn("drop_bad_sender", s.drop_bad_sender);
    fn("resolve_failed", s.resolve_failed);
    fn("pending_dropped", s.pending_dropped);
    fn("cache_full", s.cache_full);
}

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, netstack::Ipv4Stats> {
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

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, netstack::IcmpStats> {
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

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, netstack::UdpStats> {
    fn("rx_datagrams", s.rx_datagrams);
    fn("tx_datagrams", s.tx_datagrams);
    fn("drop_short", s.drop_short);
    fn("drop_bad_length", s.drop_bad_length);
    fn("drop_bad_checksum", s.drop_bad_checksum);
    fn("drop_no_socket", s.drop_no_socket);
    fn("drop_queue_full", s.drop_queue_full);
}

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, shmif::CursorStats> {
    fn("frames", s.frames);
    fn("bytes", s.bytes);
    fn("skipped_own", s.skipped_own);
    fn("overruns", s.overruns);
    fn("lost_frames", s.lost_frames);
    fn("lost_bytes", s.lost_bytes);
    fn("corrupt", s.corrupt);
    fn("truncated", s.truncated);
    fn("sleeps", s.sleeps);
}

template <class S, class Fn>
void fields(S& s, Fn fn) requires std::is_same_v<std::remove_const_t<S>, shmif::WriterStats> {
    fn("frames", s.frames);
    fn("bytes", s.bytes);
    fn("batches", s.batches);
    fn("lock_contended", s.lock_contended);
    fn("lock_recoveries", s.lock_recoveries);
    fn("wakeups", s.wakeups);
    fn("rejected", s.rejected);
}

template <class S>
void add(S& total, const S& part) {
    // Walk both field lists in step: the same order by construction.
    std::vector<std::uint64_t*> targets;
    fields(total, [&](const char*, std::uint64_t& v) { targets.push_back(&v); });
    std::size_t i = 0;
    fields(part, [&](const char*, const std::uint64_t& v) { *targets[i++] += v; });
}

template <class S>
nlohmann::json json_of(const S& s) {
    nlohmann::json j = nlohmann::json::object();
    fields(s, [&](const char* name, const std::uint64_t& v) { j[name] = v; });
    return j;
}

}  // namespace

void accumulate(netstack::EthernetStats& total, const netstack::EthernetStats& part) {
    add(total, part);
}

void accumulate(netstack::StackStats& total, const netstack::StackStats& part) {
    add(total.ethernet, part.ethernet);
    add(total.arp, part.arp);
    add(total.ipv4, part.ipv4);
    add(total.icmp, part.icmp);
    add(total.udp, part.udp);
}

void accumulate(shmif::CursorStats& total, const shmif::CursorStats& part) {
    add(total, part);
}
void accumulate(shmif::WriterStats& total, const shmif::WriterStats& part) {
    add(total, part);
}

nlohmann::json to_json(const netstack::EthernetStats& stats) {
    return json_of(stats);
}
nlohmann::json to_json(const shmif::CursorStats& stats) {
    return json_of(stats);
}
nlohmann::json to_json(const shmif::WriterStats& stats) {
    return json_of(stats);
}

nlohmann::json to_json(const netstack::StackStats& stats) {
    return {{"ethernet", json_of(stats.ethernet)},
            {"arp", json_of(stats.arp)},
            {"ipv4", json_of(stats.ipv4)},
            {"icmp", json_of(stats.icmp)},
            {"udp", json_of(stats.udp)}};
}

}  // namespace shmifd
