#include "random.hpp"

#include <algorithm>
#include <cmath>

namespace shmif::impair {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

Random::Random(std::uint64_t seed) {
    for (auto& word : s_)
        word = splitmix64(seed);
}

std::uint64_t Random::next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

std::uint64_t Random::below(std::uint64_t n) {
    // Scaled from 53 bits: the bias (n / 2^53) is far below anything measurable here.
    return std::min(n - 1, static_cast<std::uint64_t>(uniform() * static_cast<double>(n)));
}

double CorrelatedUniform::next(Random& r) {
    const double fresh = r.uniform();
    if (c_ <= 0) return fresh;
    z_ = c_ * z_ + std::sqrt(1 - c_ * c_) * normal_quantile(fresh);
    return std::clamp(0.5 * std::erfc(-z_ / std::sqrt(2.0)), 0.0, std::nextafter(1.0, 0.0));
}

bool CorrelatedChance::next(Random& r) {
    if (chance_.probability <= 0) return false;
    return draw_.next(r) < chance_.probability;
}

bool LossModel::lost(Random& r) {
    if (!loss_.gemodel) {
        if (loss_.probability <= 0) return false;
        return draw_.next(r) < loss_.probability;
    }
    // netem's loss_gilb_ell(): the state may change, and the frame's fate is decided by the
    // state it arrived in.
    const GilbertElliott& ge = *loss_.gemodel;
    const bool was_bad = bad_;
    if (was_bad) {
        if (r.uniform() < ge.r) bad_ = false;
        return r.uniform() < ge.one_minus_h;
    }
    if (r.uniform() < ge.p) bad_ = true;
    return r.uniform() < ge.one_minus_k;
}

std::chrono::nanoseconds DelaySampler::next(Random& r) {
    if (delay_.jitter.count() == 0) return delay_.time;
    const double u = draw_.next(r);
    double z = 0;
    switch (delay_.distribution) {
        case Distribution::uniform:
            z = 2 * u - 1;
            break;
        case Distribution::normal:
            z = normal_quantile(u);
            break;
        case Distribution::pareto:
            z = pareto_quantile(u);
            break;
        case Distribution::paretonormal:
            z = paretonormal_quantile(u);
            break;
    }
    const double ns =
        static_cast<double>(delay_.time.count()) + static_cast<double>(delay_.jitter.count()) * z;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(0.0, std::round(ns))));
}

double normal_quantile(double u) {
    // Acklam's coefficients (2003), public.
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    constexpr double low = 0.02425;
    u = std::clamp(u, 0x1.0p-53, 1 - 0x1.0p-53);
    double x;
    if (u < low) {
        const double q = std::sqrt(-2 * std::log(u));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (u <= 1 - low) {
        const double q = u - 0.5;
        const double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        const double q = std::sqrt(-2 * std::log(1 - u));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    // One Halley step against the exact CDF.
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - u;
    const double step = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    return x - step / (1 + x * step / 2);
}

double pareto_quantile(double u) {
    // Shape 3, scale 1: mean 3/2, standard deviation sqrt(3)/2. The tail is cut where
    // netem's 8192-entry table ends.
    u = std::clamp(u, 0.0, 1 - 1.0 / 8192);
    const double x = std::pow(1 - u, -1.0 / 3);
    return (x - 1.5) / (std::sqrt(3.0) / 2);
}

double paretonormal_quantile(double u) {
    return 0.25 * normal_quantile(u) + 0.75 * pareto_quantile(u);
}

}  // namespace shmif::impair
