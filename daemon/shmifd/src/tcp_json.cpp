#include "tcp_json.hpp"

#include <chrono>

namespace shmifd {

namespace {

std::int64_t micros(netstack::Duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

nlohmann::json to_json(const netstack::TcpInfo& t) {
    return {{"socket", t.socket},
            {"state", netstack::tcp_state_name(t.state)},
            {"local", t.local.to_string()},
            {"remote", t.remote.to_string()},
            {"recv_q", t.receive_queued},
            {"send_q", t.send_queued},
            {"buffer_bytes", t.buffer_bytes},
            {"mss", t.mss},
            {"peer_mss", t.peer_mss},
            {"send_wscale", t.send_wscale},
            {"receive_wscale", t.receive_wscale},
            {"timestamps", t.timestamps},
            {"sack", t.sack},
            {"congestion", netstack::congestion_control_name(t.congestion)},
            {"cwnd", t.cwnd},
            {"ssthresh", t.ssthresh},
            {"srtt_us", micros(t.srtt)},
            {"rttvar_us", micros(t.rttvar)},
            {"rto_us", micros(t.rto)},
            {"backoff", t.backoff},
            {"retransmits", t.retransmits},
            {"bytes_retransmitted", t.bytes_retransmitted},
            {"sack_blocks_seen", t.sack_blocks_seen},
            {"bytes_in_flight", t.bytes_in_flight},
            {"out_of_order", t.out_of_order_queued},
            {"send_window", t.send_window},
            {"receive_window", t.receive_window},
            {"bytes_sent", t.bytes_sent},
            {"bytes_acked", t.bytes_acked},
            {"bytes_received", t.bytes_received},
            {"segments_in", t.segments_in},
            {"segments_out", t.segments_out},
            {"accept_queue", t.accept_queue},
            {"syn_queue", t.syn_queue},
            {"backlog", t.backlog}};
}

nlohmann::json to_json(const services::ServiceSpec& spec) {
    return {{"name", spec.to_string()},
            {"kind", services::kind_name(spec.kind)},
            {"port", spec.port},
            {"proto", services::transport_name(spec.transport)}};
}

nlohmann::json to_json(const services::ServiceCounters& c) {
    return {{"connections", c.connections},
            {"active", c.active},
            {"bytes_received", c.bytes_received},
            {"bytes_sent", c.bytes_sent},
            {"datagrams", c.datagrams},
            {"requests", c.requests},
            {"errors", c.errors}};
}

}  // namespace shmifd
