#include "ping_job.hpp"

#include <algorithm>
#include <numeric>

namespace shmifd {

void PingJob::start(Shard& shard, const PingParams& params, control::Done done) {
    auto job = std::make_shared<PingJob>(shard, params, std::move(done));
    auto socket = shard.stack().ping_open();
    if (!socket) {
        job->done_(std::unexpected(control::CommandError{
            "failed", std::string("cannot open an echo socket: ") + describe(socket.error())}));
        return;
    }
    job->socket_ = *socket;
    job->sent_at_.resize(params.count);
    job->answered_.resize(params.count);
    shard.start_job(job);
    shard.watch(job->socket_, [weak = std::weak_ptr(job)] {
        if (auto self = weak.lock()) self->on_readable();
    });
    job->send_next();
}

void PingJob::send_next() {
    const auto now = Clock::now();
    const auto seq = static_cast<std::uint16_t>(sent_ + 1);
    auto sent = shard_.stack().ping_send(socket_, params_.to, seq, params_.size, now);
    if (!sent && sent_ == 0) {
        // Nothing went out at all (no route, too big): say why instead of timing out.
        finish(control::CommandError{
            "failed", "cannot send to " + params_.to.to_string() + ": " + describe(sent.error())});
        return;
    }
    if (sent) sent_at_[sent_] = now;
    ++sent_;
    shard_.service(now);
    if (finished_) return;
    auto self = shared_from_this();
    if (sent_ < params_.count)
        timer_ = shard_.timers().schedule_at(now + params_.interval, [self] { self->send_next(); });
    else
        timer_ = shard_.timers().schedule_at(now + params_.timeout, [self] { self->finish(); });
}

void PingJob::on_readable() {
    for (;;) {
        auto reply = shard_.stack().ping_receive(socket_);
        if (!reply) break;
        const std::size_t index = std::size_t(reply->seq) - 1;
        if (reply->seq == 0 || index >= sent_ || !sent_at_[index] || answered_[index])
            continue;  // a duplicate or a reply to nothing we sent
        answered_[index] = true;
        const double rtt_us =
            std::chrono::duration<double, std::micro>(reply->received - *sent_at_[index]).count();
        rtts_us_.push_back(rtt_us);
        replies_.push_back({{"seq", reply->seq},
                            {"from", reply->from.to_string()},
                            {"rtt_us", rtt_us},
                            {"ttl", reply->ttl},
                            {"size", reply->payload_size},
                            {"payload_ok", reply->payload_ok}});
    }
    if (rtts_us_.size() == params_.count) finish();
}

void PingJob::finish(std::optional<control::CommandError> error) {
    if (finished_) return;
    finished_ = true;
    auto self = shared_from_this();  // finish_job drops the shard's reference
    if (timer_ != 0) shard_.timers().cancel(timer_);
    shard_.unwatch(socket_);
    (void)shard_.stack().close(socket_);
    shard_.finish_job(this);
    if (error) {
        done_(std::unexpected(*error));
        return;
    }
    const std::size_t sent = static_cast<std::size_t>(
        std::count_if(sent_at_.begin(), sent_at_.end(), [](const auto& t) { return bool(t); }));
    nlohmann::json result{{"sent", sent},      {"received", rtts_us_.size()}, {"replies", replies_},
                          {"rtt_min_us", 0.0}, {"rtt_avg_us", 0.0},           {"rtt_max_us", 0.0}};
    if (!rtts_us_.empty()) {
        result["rtt_min_us"] = *std::min_element(rtts_us_.begin(), rtts_us_.end());
        result["rtt_max_us"] = *std::max_element(rtts_us_.begin(), rtts_us_.end());
        result["rtt_avg_us"] = std::accumulate(rtts_us_.begin(), rtts_us_.end(), 0.0) /
                               static_cast<double>(rtts_us_.size());
    }
    done_(std::move(result));
}

void PingJob::cancel() {
    finish(control::CommandError{"shutting_down", "the daemon is stopping"});
}

}  // namespace shmifd
