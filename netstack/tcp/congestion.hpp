// Congestion control behind one small interface: the connection reports ACKs, loss (three
// duplicate ACKs) and timeouts; the algorithm owns cwnd and ssthresh. Fast recovery's window
// inflation (RFC 5681 3.2, RFC 6582) is the connection's and adjusts cwnd directly; so is
// RFC 6675's cwnd = ssthresh for the length of a SACK recovery (sack_recovery.cpp).
#pragma once

#include <cstdint>
#include <memory>

#include "netstack/tcp.hpp"
#include "netstack/time.hpp"

namespace netstack::tcp {

class CongestionController {
  public:
    explicit CongestionController(std::uint32_t mss);
    virtual ~CongestionController() = default;
    virtual CongestionControl algorithm() const = 0;
    // `acked` new bytes acknowledged outside recovery.
    virtual void on_ack(std::uint32_t acked, Instant now, Duration srtt) = 0;
    // Loss found by duplicate ACKs: sets ssthresh (cwnd is then the connection's business
    // until recovery ends, when it becomes ssthresh).
    virtual void on_loss(std::uint32_t flight, Instant now) = 0;
    // RFC 5681 eq. 4 and 3.1: ssthresh = max(flight / 2, 2 MSS), cwnd = 1 MSS.
    virtual void on_timeout(std::uint32_t flight);

    std::uint32_t cwnd = 0;
    std::uint32_t ssthresh = 0xffffffff;
    std::uint32_t mss;

  protected:
    // RFC 5681 3.1 slow start; returns the part of `acked` left for congestion avoidance
    // when cwnd crosses ssthresh.
    std::uint32_t slow_start(std::uint32_t acked);
};

// RFC 5681 3.1 initial window (RFC 3390: min(4 MSS, max(2 MSS, 4380 bytes))).
std::uint32_t initial_window(std::uint32_t mss);

std::unique_ptr<CongestionController> make_congestion_controller(CongestionControl algorithm,
                                                                 std::uint32_t mss);

}  // namespace netstack::tcp
