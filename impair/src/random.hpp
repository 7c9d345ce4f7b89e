// The impairment's randomness: a seeded generator that gives the same sequence on every
// machine and library (no std:: distributions, whose output is unspecified), netem's
// correlated draws, and the delay distributions as inverse CDFs of a uniform draw.
#pragma once

#include <chrono>
#include <cstdint>

#include "impair/settings.hpp"

namespace shmif::impair {

// xoshiro256** (Blackman, Vigna 2018) seeded through SplitMix64.
class Random {
  public:
    explicit Random(std::uint64_t seed);
    std::uint64_t next();
    // Uniform in [0, 1), 53 bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in [0, n) for n > 0.
    std::uint64_t below(std::uint64_t n);

  private:
    std::uint64_t s_[4];
};

// Correlated uniform draws. netem's own rule, (1 - c) * fresh + c * previous, is known to
// narrow the distribution: "loss 10% 90%" loses almost nothing and a correlated jitter loses
// its spread. Here successive draws are linked through a Gaussian copula (an AR(1) process
// on a standard normal, mapped back through its CDF): every draw is still uniform on
// [0, 1), so each control keeps its configured rate and distribution, and neighbours are
// alike with rank correlation (6/pi) asin(c/2).
class CorrelatedUniform {
  public:
    explicit CorrelatedUniform(double correlation = 0) : c_(correlation) {}
    double next(Random& r);

  private:
    double c_;
    double z_ = 0;  // the previous draw on the normal scale
};

// A yes/no per frame with a probability and netem's correlation.
class CorrelatedChance {
  public:
    explicit CorrelatedChance(const Chance& c) : chance_(c), draw_(c.correlation) {}
    bool next(Random& r);

  private:
    Chance chance_;
    CorrelatedUniform draw_;
};

// Random loss (with correlation) or Gilbert-Elliott's two states.
class LossModel {
  public:
    explicit LossModel(const Loss& loss) : loss_(loss), draw_(loss.correlation) {}
    bool lost(Random& r);

  private:
    Loss loss_;
    CorrelatedUniform draw_;
    bool bad_ = false;
};

// Delays: time + jitter * z, z from the distribution (mean 0, spread about 1; uniform is
// netem's [-jitter, +jitter)), never below zero.
class DelaySampler {
  public:
    explicit DelaySampler(const Delay& d) : delay_(d), draw_(d.correlation) {}
    std::chrono::nanoseconds next(Random& r);

  private:
    Delay delay_;
    CorrelatedUniform draw_;
};

// The standard normal's inverse CDF (Acklam's rational approximation, refined by one Halley
// step: relative error below 1e-15). u in (0, 1).
double normal_quantile(double u);
// Pareto with shape 3, shifted and scaled to mean 0 and standard deviation 1, as netem's
// table is. u in [0, 1).
double pareto_quantile(double u);
// netem's "paretonormal": a quarter normal, three quarters Pareto.
double paretonormal_quantile(double u);

}  // namespace shmif::impair
