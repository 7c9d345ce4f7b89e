// Only <linux/tcp.h> here: glibc's <netinet/tcp.h> has an older struct tcp_info of the same
// name, and the two headers cannot meet in one file.
#include "tcp_info.hpp"

#include <linux/tcp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace shmifsock {
namespace {

// Linux's TCP_* state numbers (include/net/tcp_states.h) by the stack's names.
std::uint8_t state_number(std::string_view name) {
    constexpr std::pair<std::string_view, std::uint8_t> kStates[] = {
        {"ESTABLISHED", 1}, {"SYN-SENT", 2},  {"SYN-RECEIVED", 3}, {"FIN-WAIT-1", 4},
        {"FIN-WAIT-2", 5},  {"TIME-WAIT", 6}, {"CLOSED", 7},       {"CLOSE-WAIT", 8},
        {"LAST-ACK", 9},    {"LISTEN", 10},   {"CLOSING", 11}};
    for (const auto& [text, number] : kStates)
        if (text == name) return number;
    return 7;
}

template <class T>
T field(const nlohmann::json& info, const char* name) {
    const auto it = info.find(name);
    if (it == info.end() || !it->is_number()) return T{};
    const auto value = it->get<std::int64_t>();
    if (value < 0) return T{};
    return static_cast<T>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(value), std::numeric_limits<T>::max()));
}

}  // namespace

void fill_tcp_info(const nlohmann::json& info, void* out, socklen_t* len) {
    tcp_info t{};
    if (const auto state = info.find("state"); state != info.end() && state->is_string())
        t.tcpi_state = state_number(state->get_ref<const std::string&>());
    t.tcpi_backoff = field<std::uint8_t>(info, "backoff");
    if (info.value("timestamps", false)) t.tcpi_options |= TCPI_OPT_TIMESTAMPS;
    if (info.value("sack", false)) t.tcpi_options |= TCPI_OPT_SACK;
    if (info.contains("send_wscale") || info.contains("receive_wscale")) {
        t.tcpi_options |= TCPI_OPT_WSCALE;
        t.tcpi_snd_wscale = field<std::uint8_t>(info, "send_wscale") & 0xf;
        t.tcpi_rcv_wscale = field<std::uint8_t>(info, "receive_wscale") & 0xf;
    }
    t.tcpi_rto = field<std::uint32_t>(info, "rto_us");
    const auto mss = std::max<std::uint32_t>(field<std::uint32_t>(info, "mss"), 1);
    t.tcpi_snd_mss = field<std::uint32_t>(info, "mss");
    t.tcpi_rcv_mss = field<std::uint32_t>(info, "peer_mss");
    t.tcpi_advmss = t.tcpi_snd_mss;
    // Linux counts these in segments; the stack in bytes.
    t.tcpi_unacked = field<std::uint32_t>(info, "bytes_in_flight") / mss;
    t.tcpi_snd_cwnd = field<std::uint32_t>(info, "cwnd") / mss;
    t.tcpi_snd_ssthresh = field<std::uint32_t>(info, "ssthresh") / mss;
    t.tcpi_rtt = field<std::uint32_t>(info, "srtt_us");
    t.tcpi_rttvar = field<std::uint32_t>(info, "rttvar_us");
    t.tcpi_total_retrans = field<std::uint32_t>(info, "retransmits");
    t.tcpi_bytes_acked = field<std::uint64_t>(info, "bytes_acked");
    t.tcpi_bytes_received = field<std::uint64_t>(info, "bytes_received");
    t.tcpi_bytes_sent = field<std::uint64_t>(info, "bytes_sent");
    t.tcpi_bytes_retrans = field<std::uint64_t>(info, "bytes_retransmitted");
    t.tcpi_segs_in = field<std::uint32_t>(info, "segments_in");
    t.tcpi_segs_out = field<std::uint32_t>(info, "segments_out");
    t.tcpi_notsent_bytes = field<std::uint32_t>(info, "send_q");
    t.tcpi_rcv_space = field<std::uint32_t>(info, "receive_window");
    t.tcpi_snd_wnd = field<std::uint32_t>(info, "send_window");
    if (len == nullptr) return;
    const auto size = std::min<std::size_t>(static_cast<std::size_t>(*len), sizeof t);
    if (out != nullptr) std::memcpy(out, &t, size);
    *len = static_cast<socklen_t>(size);
}

}  // namespace shmifsock
