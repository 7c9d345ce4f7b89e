// netem's words: what tc-netem accepts for these controls, with its units, and clear errors.
#include <gtest/gtest.h>

#include "impair/settings.hpp"

namespace shmif::impair {
namespace {

using namespace std::chrono_literals;

Settings parsed(const char* text) {
    auto s = parse_netem(text);
    EXPECT_TRUE(s.has_value()) << text << ": " << s.error();
    return s.value_or(Settings{});
}

std::string error_of(const char* text) {
    auto s = parse_netem(text);
    EXPECT_FALSE(s.has_value()) << text;
    return s ? "" : s.error();
}

TEST(NetemWords, DelayWithJitterCorrelationAndDistribution) {
    const Settings s = parsed("delay 20ms 5ms 25% distribution normal");
    EXPECT_EQ(s.delay.time, 20ms);
    EXPECT_EQ(s.delay.jitter, 5ms);
    EXPECT_DOUBLE_EQ(s.delay.correlation, 0.25);
    EXPECT_EQ(s.delay.distribution, Distribution::normal);
    EXPECT_FALSE(s.immediate());
}

TEST(NetemWords, TimeUnitsAsTcReadsThem) {
    EXPECT_EQ(parsed("delay 1s").delay.time, 1s);
    EXPECT_EQ(parsed("delay 1.5msec").delay.time, 1500us);
    EXPECT_EQ(parsed("delay 250").delay.time, 250us);  // tc: bare numbers are microseconds
    EXPECT_EQ(parsed("delay 250usecs").delay.time, 250us);
    EXPECT_EQ(parsed("delay 700ns").delay.time, 700ns);
    EXPECT_EQ(parsed("latency 3ms").delay.time, 3ms);
}

TEST(NetemWords, LossRandomAndGemodelWithTcsDefaults) {
    Settings s = parsed("loss 1% 30%");
    EXPECT_DOUBLE_EQ(s.loss.probability, 0.01);
    EXPECT_DOUBLE_EQ(s.loss.correlation, 0.30);
    EXPECT_DOUBLE_EQ(parsed("loss random 2").loss.probability, 0.02);  // bare: per cent
    s = parsed("loss gemodel 1%");
    ASSERT_TRUE(s.loss.gemodel.has_value());
    EXPECT_DOUBLE_EQ(s.loss.gemodel->p, 0.01);
    EXPECT_DOUBLE_EQ(s.loss.gemodel->r, 0.99);  // r = 1 - p, 1-h = 1, 1-k = 0
    EXPECT_DOUBLE_EQ(s.loss.gemodel->one_minus_h, 1);
    EXPECT_DOUBLE_EQ(s.loss.gemodel->one_minus_k, 0);
    s = parsed("loss gemodel 1% 10% 70% 0.1%");
    EXPECT_DOUBLE_EQ(s.loss.gemodel->r, 0.10);
    EXPECT_DOUBLE_EQ(s.loss.gemodel->one_minus_h, 0.70);
    EXPECT_DOUBLE_EQ(s.loss.gemodel->one_minus_k, 0.001);
}

TEST(NetemWords, RatesInTcsUnits) {
    EXPECT_EQ(parsed("rate 100mbit").rate_bps, 100'000'000U);
    EXPECT_EQ(parsed("rate 10Gbit").rate_bps, 10'000'000'000U);
    EXPECT_EQ(parsed("rate 1mibit").rate_bps, 1048576U);
    EXPECT_EQ(parsed("rate 1000").rate_bps, 1000U);        // bare: bits per second
    EXPECT_EQ(parsed("rate 1mbps").rate_bps, 8'000'000U);  // tc: bps is bytes per second
    EXPECT_EQ(parsed("rate 5kbit limit 20").limit, 20U);
}

TEST(NetemWords, ReorderNeedsADelayAndDefaultsToGapOne) {
    EXPECT_NE(error_of("reorder 25%").find("needs a delay"), std::string::npos);
    Settings s = parsed("delay 10ms reorder 25% 50%");
    EXPECT_DOUBLE_EQ(s.reorder.probability, 0.25);
    EXPECT_DOUBLE_EQ(s.reorder.correlation, 0.50);
    EXPECT_EQ(s.reorder_gap, 1U);
    EXPECT_EQ(parsed("delay 10ms reorder 25% gap 5").reorder_gap, 5U);
}

TEST(NetemWords, DuplicateCorruptSeedAndNone) {
    const Settings s = parsed("duplicate 1% corrupt 0.1% seed 42");
    EXPECT_DOUBLE_EQ(s.duplicate.probability, 0.01);
    EXPECT_DOUBLE_EQ(s.corrupt.probability, 0.001);
    EXPECT_EQ(s.seed, 42U);
    EXPECT_TRUE(s.immediate());
    EXPECT_FALSE(s.none());
    EXPECT_TRUE(parsed("none").none());
    EXPECT_TRUE(parsed("").none());
}

TEST(NetemWords, ErrorsNameTheWordAtFault) {
    EXPECT_NE(error_of("delay 10parsecs").find("unknown time unit 'parsecs'"), std::string::npos);
    EXPECT_NE(error_of("loss 120%").find("'120%' is not a percentage"), std::string::npos);
    EXPECT_NE(error_of("loss").find("loss needs a value"), std::string::npos);
    EXPECT_NE(error_of("rate fast").find("'fast' is not a rate"), std::string::npos);
    EXPECT_NE(error_of("rate 10furlongs").find("unknown rate unit"), std::string::npos);
    EXPECT_NE(error_of("jitter 5ms").find("unknown word 'jitter'"), std::string::npos);
    EXPECT_NE(error_of("slot 1ms").find("not supported"), std::string::npos);
    EXPECT_NE(error_of("delay 1ms distribution weird").find("unknown distribution"),
              std::string::npos);
    EXPECT_NE(error_of("limit 0").find("at least 1"), std::string::npos);
    EXPECT_NE(error_of("seed -1").find("whole number"), std::string::npos);
}

TEST(NetemWords, FormatRoundTrips) {
    for (const char* text :
         {"delay 20ms 5ms 25% distribution normal loss 1% 30% rate 100mbit",
          "loss gemodel 1% 10% 70% 0.1%", "duplicate 1% corrupt 0.1% seed 42",
          "delay 10ms 1ms reorder 25% 50% gap 5 limit 50", "delay 1500us rate 64kbit", "none"}) {
        SCOPED_TRACE(text);
        const Settings s = parsed(text);
        const std::string printed = format_netem(s);
        EXPECT_EQ(printed, text);
        EXPECT_EQ(parsed(printed.c_str()), s);
    }
}

}  // namespace
}  // namespace shmif::impair
