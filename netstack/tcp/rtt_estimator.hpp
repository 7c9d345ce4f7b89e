// The retransmission timeout of RFC 6298: SRTT and RTTVAR from samples (2.2, 2.3), RTO =
// SRTT + max(G, 4 RTTVAR, min) (Linux's floor, see sample()) up to max, doubled per expiry (5.5).
// Karn's rule is the caller's: it feeds only samples from segments not retransmitted, or from
// timestamps.
#pragma once

#include <cstdint>

#include "netstack/time.hpp"

namespace netstack::tcp {

class RttEstimator {
  public:
    RttEstimator(Duration initial, Duration min, Duration max);
    void sample(Duration rtt);
    Duration rto() const;  // with the backoff applied
    void back_off() { ++backoff_; }
    void reset_backoff() { backoff_ = 0; }
    std::uint32_t backoff() const { return backoff_; }
    Duration srtt() const { return srtt_; }
    Duration rttvar() const { return rttvar_; }
    bool has_sample() const { return has_sample_; }

  private:
    Duration base_rto_;
    Duration min_;
    Duration max_;
    Duration srtt_{};
    Duration rttvar_{};
    bool has_sample_ = false;
    std::uint32_t backoff_ = 0;
};

}  // namespace netstack::tcp
