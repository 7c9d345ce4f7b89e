#include "tcp/congestion.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace netstack::tcp {

std::uint32_t initial_window(std::uint32_t mss) {
    return std::min(4 * mss, std::max(2 * mss, 4380u));
}

CongestionController::CongestionController(std::uint32_t smss)
    : cwnd(initial_window(smss)), mss(smss) {}

void CongestionController::on_timeout(std::uint32_t flight) {
    ssthresh = std::max(flight / 2, 2 * mss);
    cwnd = mss;
}

std::uint32_t CongestionController::slow_start(std::uint32_t acked) {
    if (cwnd >= ssthresh) return acked;
    // RFC 3465 appropriate byte counting with L = 2 MSS per ACK.
    const std::uint32_t grow = std::min({acked, 2 * mss, ssthresh - cwnd});
    cwnd += grow;
    return acked - grow;
}

namespace {

// RFC 5681 3.1 congestion avoidance (+1 MSS per RTT, counted in bytes) and RFC 6582's
// ssthresh on loss.
class NewReno final : public CongestionController {
  public:
    using CongestionController::CongestionController;
    CongestionControl algorithm() const override { return CongestionControl::newreno; }
    void on_ack(std::uint32_t acked, Instant, Duration) override {
        acked = slow_start(acked);
        if (acked == 0) return;
        acked_in_round_ += acked;
        if (acked_in_round_ >= cwnd) {
            acked_in_round_ -= cwnd;
            cwnd += mss;
        }
    }
    void on_loss(std::uint32_t flight, Instant) override {
        ssthresh = std::max(flight / 2, 2 * mss);  // RFC 5681 eq. 4
        acked_in_round_ = 0;
    }

  private:
    std::uint32_t acked_in_round_ = 0;
};

// CUBIC (RFC 9438): the window follows W(t) = C (t - K)^3 + W_max after a loss, never
// below what Reno would reach (the Reno-friendly region, 4.3).
class Cubic final : public CongestionController {
  public:
    using CongestionController::CongestionController;
    CongestionControl algorithm() const override { return CongestionControl::cubic; }

    void on_ack(std::uint32_t acked, Instant now, Duration srtt) override {
        acked = slow_start(acked);
        if (acked == 0) return;
        const double segments = static_cast<double>(cwnd) / mss;
        if (!epoch_) {  // 4.8: a new congestion-avoidance epoch
            epoch_ = now;
            if (w_max_ < segments) w_max_ = segments;
            k_ = std::cbrt((w_max_ - segments) / c);
            w_est_ = segments;
        }
        const double t = std::chrono::duration<double>(now - *epoch_ + srtt).count();
        const double target_cubic = c * std::pow(t - k_, 3) + w_max_;
        // 4.3: W_est grows by alpha per window of ACKed data.
        w_est_ += alpha * (static_cast<double>(acked) / mss) / segments;
        double target = std::max(target_cubic, w_est_);
        target = std::clamp(target, segments, 1.5 * segments);  // 4.4
        // cwnd grows by (target - cwnd) / cwnd segments per segment ACKed, in bytes.
        credit_ += (target - segments) / segments * static_cast<double>(acked);
        if (credit_ >= 1.0) {
            const auto grow = static_cast<std::uint32_t>(credit_);
            cwnd += grow;
            credit_ -= grow;
        }
    }

    void on_loss(std::uint32_t flight, Instant) override {
        const double segments = static_cast<double>(cwnd) / mss;
        // 4.7 fast convergence: release bandwidth when the last W_max was not reached.
        w_max_ = segments < w_max_ ? segments * (1.0 + beta) / 2.0 : segments;
        ssthresh = std::max(static_cast<std::uint32_t>(static_cast<double>(cwnd) * beta), 2 * mss);
        (void)flight;
        epoch_.reset();
        credit_ = 0;
    }

    void on_timeout(std::uint32_t flight) override {
        on_loss(flight, {});
        cwnd = mss;
    }

  private:
    static constexpr double c = 0.4;
    static constexpr double beta = 0.7;
    static constexpr double alpha = 3.0 * (1.0 - beta) / (1.0 + beta);
    std::optional<Instant> epoch_{};
    double w_max_ = 0;
    double k_ = 0;
    double w_est_ = 0;
    double credit_ = 0;
};

}  // namespace

std::unique_ptr<CongestionController> make_congestion_controller(CongestionControl algorithm,
                                                                 std::uint32_t mss) {
    if (algorithm == CongestionControl::newreno) return std::make_unique<NewReno>(mss);
    return std::make_unique<Cubic>(mss);
}

}  // namespace netstack::tcp
