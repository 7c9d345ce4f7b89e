// The `ping` command on a shard: an ICMP echo socket, requests paced by the shard's timers
// (never by sleeping the worker), replies gathered as the socket turns readable, and one
// answer when every reply came or the last request's timeout ran out.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "shard.hpp"
#include "shmifd/control/handler.hpp"

namespace shmifd {

struct PingParams {
    netstack::IpAddress to;  // IPv4 (ICMP echo) or IPv6 (ICMPv6 echo)
    std::uint32_t count = 1;
    std::size_t size = 56;
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds timeout{1000};
};

class PingJob final : public ShardJob, public std::enable_shared_from_this<PingJob> {
  public:
    // Runs on the shard's worker.
    static void start(Shard& shard, const PingParams& params, control::Done done);
    void cancel() override;

    PingJob(Shard& shard, const PingParams& params, control::Done done)
        : shard_(shard), params_(params), done_(std::move(done)) {}

  private:
    using Clock = std::chrono::steady_clock;
    Shard& shard_;
    PingParams params_;
    control::Done done_;
    netstack::SocketId socket_ = 0;
    std::uint32_t sent_ = 0;
    std::vector<std::optional<netstack::Instant>> sent_at_;  // by seq - 1
    std::vector<bool> answered_;
    nlohmann::json replies_ = nlohmann::json::array();
    std::vector<double> rtts_us_;
    engine::TimerQueue::TimerId timer_ = 0;
    bool finished_ = false;

    void send_next();
    void on_readable();
    void finish(std::optional<control::CommandError> error = std::nullopt);
};

}  // namespace shmifd
