// The random draws: the generator is repeatable, the quantile functions are right, and
// netem's correlation keeps the mean while making neighbours alike.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "random.hpp"

namespace shmif::impair {
namespace {

TEST(Random, SameSeedSameSequenceOtherSeedOther) {
    Random a(7), b(7), c(8);
    int same_as_c = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto x = a.next();
        EXPECT_EQ(x, b.next());
        same_as_c += x == c.next();
    }
    EXPECT_EQ(same_as_c, 0);
}

TEST(Random, UniformAndBelowAreUniform) {
    Random r(1);
    constexpr int kN = 200'000;
    std::vector<int> buckets(10, 0);
    double sum = 0;
    for (int i = 0; i < kN; ++i) {
        const double u = r.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
        ++buckets[r.below(10)];
    }
    EXPECT_NEAR(sum / kN, 0.5, 0.003);
    for (int b : buckets)
        EXPECT_NEAR(b, kN / 10, 600);  // ~4.5 standard deviations
}

TEST(Quantiles, NormalMatchesKnownValues) {
    EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-12);
    EXPECT_NEAR(normal_quantile(0.8413447460685429), 1.0, 1e-9);
    EXPECT_NEAR(normal_quantile(0.022750131948179195), -2.0, 1e-9);
    EXPECT_NEAR(normal_quantile(0.99865010196837), 3.0, 1e-8);
    EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-7);
    EXPECT_TRUE(std::isfinite(normal_quantile(0.0)));
    EXPECT_TRUE(std::isfinite(normal_quantile(1.0)));
}

TEST(Quantiles, ParetoHasMeanZeroAndUnitSpreadUpToItsCutTail) {
    constexpr int kN = 400'000;
    double sum = 0, sq = 0;
    for (int i = 0; i < kN; ++i) {
        const double z = pareto_quantile((i + 0.5) / kN);
        sum += z;
        sq += z * z;
    }
    const double mean = sum / kN;
    EXPECT_NEAR(mean, 0.0, 0.02);
    // The cut tail (as netem's finite table) takes a little of the variance.
    EXPECT_NEAR(std::sqrt(sq / kN - mean * mean), 1.0, 0.15);
    EXPECT_LT(pareto_quantile(0.5), 0.0);  // skewed: the median sits below the mean
    EXPECT_GT(pareto_quantile(0.9999), 10.0);
}

TEST(CorrelatedUniform, StaysUniformAndCorrelatesNeighbours) {
    Random r(3);
    CorrelatedUniform plain(0), sticky(0.75);
    constexpr int kN = 200'000;
    auto stats = [&](CorrelatedUniform& c) {
        double sum = 0, prev = c.next(r), lag = 0, sq = 0;
        for (int i = 0; i < kN; ++i) {
            const double x = c.next(r);
            sum += x;
            sq += x * x;
            lag += x * prev;
            prev = x;
        }
        const double mean = sum / kN;
        const double var = sq / kN - mean * mean;
        return std::pair{mean, (lag / kN - mean * mean) / var};
    };
    // Still uniform: a tenth of the draws in each tenth.
    CorrelatedUniform check(0.9);
    std::vector<int> buckets(10, 0);
    for (int i = 0; i < kN; ++i)
        ++buckets[static_cast<std::size_t>(check.next(r) * 10)];
    for (int b : buckets)
        EXPECT_NEAR(b, kN / 10, 2000);  // correlated draws spread wider than independent ones
    const auto [m0, rho0] = stats(plain);
    const auto [m1, rho1] = stats(sticky);
    EXPECT_NEAR(m0, 0.5, 0.003);
    EXPECT_NEAR(m1, 0.5, 0.01);
    EXPECT_NEAR(rho0, 0.0, 0.01);
    // Gaussian copula with c = 0.75: rank (here also Pearson) correlation (6/pi) asin(c/2).
    EXPECT_NEAR(rho1, 6 / M_PI * std::asin(0.375), 0.02);
}

}  // namespace
}  // namespace shmif::impair
