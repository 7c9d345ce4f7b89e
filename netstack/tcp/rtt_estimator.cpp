#include "tcp/rtt_estimator.hpp"

#include <algorithm>

namespace netstack::tcp {

namespace {
// The clock granularity G of RFC 6298: our timestamps tick in milliseconds.
constexpr Duration granularity = std::chrono::milliseconds(1);
}  // namespace

RttEstimator::RttEstimator(Duration initial, Duration min, Duration max)
    : base_rto_(initial), min_(min), max_(std::max(max, min)) {}

void RttEstimator::sample(Duration rtt) {
    rtt = std::max(rtt, Duration{});
    if (!has_sample_) {  // 2.2
        srtt_ = rtt;
        rttvar_ = rtt / 2;
        has_sample_ = true;
    } else {  // 2.3: beta = 1/4, alpha = 1/8
        const Duration delta = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
        rttvar_ = rttvar_ - rttvar_ / 4 + delta / 4;
        srtt_ = srtt_ - srtt_ / 8 + rtt / 8;
    }
    // Linux's floor rather than RFC 6298's clamp: the minimum bounds the variance term, so
    // RTO >= SRTT + min. A Linux receiver may hold an ACK up to 200 ms (its delayed-ACK
    // ceiling) on top of the round trip, and a busy sender reads its ACKs late: an RTO of
    // just the minimum then fires for data that arrived, and goes back N for nothing.
    base_rto_ = std::min(srtt_ + std::max({granularity, 4 * rttvar_, min_}), max_);
}

Duration RttEstimator::rto() const {
    Duration rto = base_rto_;
    for (std::uint32_t i = 0; i < backoff_ && rto < max_; ++i)
        rto *= 2;
    return std::min(rto, max_);
}

}  // namespace netstack::tcp
