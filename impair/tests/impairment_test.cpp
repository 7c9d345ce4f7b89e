// The engine over 100,000 frames per control, with fixed seeds and tolerances a correct
// implementation meets and a wrong one cannot (each about four standard deviations of the
// statistic, which is far smaller than any plausible mistake in the model).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "impair/impairment.hpp"

namespace shmif::impair {
namespace {

using namespace std::chrono_literals;

constexpr int kFrames = 100'000;

Settings netem(const char* text) {
    auto s = parse_netem(text);
    EXPECT_TRUE(s.has_value()) << s.error();
    return s.value_or(Settings{});
}

// A frame that says which one it is (little-endian index in its first four bytes).
std::vector<std::byte> frame(std::uint32_t index, std::size_t len = 64) {
    std::vector<std::byte> f(len, std::byte{0x5a});
    for (std::size_t b = 0; b < 4; ++b)
        f[b] = static_cast<std::byte>(index >> (8 * b));
    return f;
}

std::uint32_t index_of(std::span<const std::byte> f) {
    std::uint32_t i = 0;
    for (std::size_t b = 0; b < 4; ++b)
        i |= std::to_integer<std::uint32_t>(f[b]) << (8 * b);
    return i;
}

struct Out {
    std::uint32_t index;
    Instant at;
    std::vector<std::byte> bytes;
};

// Offers kFrames frames, one every `spacing`, releasing as time moves in `step`s, then
// drains. Returns what came out, in order.
std::vector<Out> run(Impairment& imp, std::chrono::nanoseconds spacing,
                     std::chrono::nanoseconds step = 100us, int frames = kFrames,
                     std::size_t len = 64) {
    std::vector<Out> out;
    Instant now{std::chrono::seconds(100)};
    Instant next_offer = now;
    int offered = 0;
    auto emit = [&](std::span<const std::byte> f) {
        out.push_back({index_of(f), now, {f.begin(), f.end()}});
    };
    for (int guard = 0; guard < 100'000'000 && (offered < frames || imp.queued() > 0); ++guard) {
        while (offered < frames && next_offer <= now) {
            imp.offer(frame(static_cast<std::uint32_t>(offered), len), now);
            ++offered;
            next_offer += spacing;
        }
        imp.release(now, emit);
        now += step;
    }
    return out;
}

TEST(Impairment, NothingConfiguredPassesEveryFrameAtOnceInOrder) {
    Impairment imp(Settings{});
    const auto out = run(imp, 10us, 10us, 1000);
    ASSERT_EQ(out.size(), 1000U);
    for (std::uint32_t i = 0; i < out.size(); ++i)
        ASSERT_EQ(out[i].index, i);
    const Counters c = imp.counters();
    EXPECT_EQ(c.frames_in, 1000U);
    EXPECT_EQ(c.frames_out, 1000U);
    EXPECT_EQ(c.bytes_out, 64'000U);
    EXPECT_EQ(c.delayed, 0U);
}

TEST(Impairment, RandomLossTenPerCent) {
    Impairment imp(netem("loss 10%"), 11);
    const auto out = run(imp, 10us, 10us);
    const double lost = 1.0 - static_cast<double>(out.size()) / kFrames;
    EXPECT_NEAR(lost, 0.10, 0.006);
    EXPECT_EQ(imp.counters().dropped_loss, kFrames - out.size());
}

TEST(Impairment, CorrelatedLossKeepsItsRateAndMakesBursts) {
    Impairment plain(netem("loss 10%"), 5), sticky(netem("loss 10% 90%"), 5);
    auto longest_burst = [](const std::vector<Out>& out) {
        std::uint32_t longest = 0, expected = 0;
        for (const Out& o : out) {
            longest = std::max(longest, o.index - expected);
            expected = o.index + 1;
        }
        return longest;
    };
    const auto a = run(plain, 10us, 10us);
    const auto b = run(sticky, 10us, 10us);
    // Correlation keeps the rate (netem's own rule would lose almost nothing here) ...
    EXPECT_NEAR(1.0 - static_cast<double>(b.size()) / kFrames, 0.10, 0.015);
    // ... and makes the losses come in bursts.
    EXPECT_GT(longest_burst(b), 2 * longest_burst(a));
}

TEST(Impairment, GilbertElliottBurstsHaveTheModelsLengthAndRate) {
    // Simple Gilbert: p = 1 %, r = 25 %: every frame in the bad state is lost. Loss rate
    // p / (p + r) = 3.846 %, mean burst 1 / r = 4 frames.
    Impairment imp(netem("loss gemodel 1% 25%"), 21);
    const auto out = run(imp, 10us, 10us, 400'000);
    std::vector<std::uint32_t> bursts;
    std::uint32_t expected = 0;
    for (const Out& o : out) {
        if (o.index != expected) bursts.push_back(o.index - expected);
        expected = o.index + 1;
    }
    const double lost = 1.0 - static_cast<double>(out.size()) / 400'000;
    EXPECT_NEAR(lost, 0.01 / 0.26, 0.002);
    double mean = 0;
    for (auto b : bursts)
        mean += b;
    mean /= static_cast<double>(bursts.size());
    EXPECT_NEAR(mean, 4.0, 0.15);
    // Geometric lengths: P(length 1) = r.
    const auto ones = std::count(bursts.begin(), bursts.end(), 1U);
    EXPECT_NEAR(static_cast<double>(ones) / static_cast<double>(bursts.size()), 0.25, 0.02);
}

TEST(Impairment, NormalDelayPercentiles) {
    Impairment imp(netem("delay 10ms 2ms distribution normal"), 3);
    std::vector<double> delays_ms;
    Instant now{std::chrono::seconds(1)};
    std::vector<Instant> sent(kFrames);
    for (std::uint32_t i = 0; i < kFrames; ++i) {
        // One at a time: offer, then release at the exact due time.
        sent[i] = now;
        imp.offer(frame(i), now);
        const Instant due = *imp.next_due();
        imp.release(due, [&](std::span<const std::byte> f) {
            delays_ms.push_back(
                std::chrono::duration<double, std::milli>(due - sent[index_of(f)]).count());
        });
        now += 1ms;
    }
    ASSERT_EQ(delays_ms.size(), static_cast<std::size_t>(kFrames));
    std::sort(delays_ms.begin(), delays_ms.end());
    auto pct = [&](double p) { return delays_ms[static_cast<std::size_t>(p / 100 * kFrames)]; };
    EXPECT_NEAR(pct(50), 10.0, 0.05);
    EXPECT_NEAR(pct(15.866), 8.0, 0.05);  // one standard deviation below
    EXPECT_NEAR(pct(84.134), 12.0, 0.05);
    EXPECT_NEAR(pct(2.275), 6.0, 0.1);  // two
    EXPECT_NEAR(pct(97.725), 14.0, 0.1);
}

TEST(Impairment, UniformJitterStaysInItsBandAndReordersInTimeOrder) {
    Impairment imp(netem("delay 10ms 2ms"), 9);
    const auto out = run(imp, 100us, 10us, 20'000);
    ASSERT_EQ(out.size(), 20'000U);
    const Instant start{std::chrono::seconds(100)};
    double sum = 0;
    int inversions = 0;
    for (std::size_t k = 0; k < out.size(); ++k) {
        const auto offered = start + out[k].index * 100us;
        const double ms = std::chrono::duration<double, std::milli>(out[k].at - offered).count();
        ASSERT_GE(ms, 8.0 - 0.01);
        ASSERT_LT(ms, 12.0 + 0.01);  // + one release step
        sum += ms;
        if (k > 0 && out[k].index < out[k - 1].index) ++inversions;
    }
    EXPECT_NEAR(sum / 20'000, 10.0, 0.05);
    EXPECT_GT(inversions, 1000);  // 4 ms of spread over frames 0.1 ms apart: many
}

TEST(Impairment, RateLimitsThroughputWithinTwoPerCentAndDropsTail) {
    // 1000-byte frames offered at 16 Mbit/s into a 10 Mbit/s limit with 100 frames of queue.
    Impairment imp(netem("rate 10mbit limit 100"), 1);
    const auto out = run(imp, 500us, 100us, kFrames, 1000);
    ASSERT_GT(out.size(), 1000U);
    // Steady state, away from the start and the drain: bytes over time.
    const auto& first = out[1000];
    const auto& last = out[out.size() - 1000];
    const double seconds = std::chrono::duration<double>(last.at - first.at).count();
    const double bits = static_cast<double>(out.size() - 2000) * 1000 * 8;
    EXPECT_NEAR(bits / seconds / 1e6, 10.0, 0.2);
    const Counters c = imp.counters();
    EXPECT_GT(c.dropped_queue, 0U);
    EXPECT_EQ(c.dropped_queue + out.size(), static_cast<std::uint64_t>(kFrames));
    EXPECT_EQ(c.queue_peak, 100U);
    // 16 offered, 10 sent: three eighths dropped.
    EXPECT_NEAR(static_cast<double>(c.dropped_queue) / kFrames, 0.375, 0.01);
}

TEST(Impairment, ReorderedFramesSkipTheDelay) {
    Impairment imp(netem("delay 10ms reorder 25%"), 4);
    const auto out = run(imp, 1ms, 100us);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(kFrames));
    const Instant start{std::chrono::seconds(100)};
    int skipped = 0, early = 0;
    std::uint32_t highest = 0;
    for (const Out& o : out) {
        if (o.at - (start + o.index * 1ms) < 1ms) ++skipped;
        if (o.index < highest) ++early;  // an earlier frame left after a later one
        highest = std::max(highest, o.index);
    }
    EXPECT_NEAR(static_cast<double>(skipped) / kFrames, 0.25, 0.006);
    EXPECT_EQ(imp.counters().reordered, static_cast<std::uint64_t>(skipped));
    EXPECT_GT(early, kFrames / 2);  // the delayed ones now arrive after skippers
}

TEST(Impairment, DuplicatesAndCorruptionAtTheirRates) {
    Impairment imp(netem("duplicate 5% corrupt 5%"), 8);
    const auto out = run(imp, 10us, 10us);
    const Counters c = imp.counters();
    EXPECT_NEAR(static_cast<double>(out.size() - kFrames) / kFrames, 0.05, 0.003);
    EXPECT_EQ(c.duplicated, out.size() - kFrames);
    int corrupted = 0;
    for (const Out& o : out) {
        const auto clean = frame(o.index);
        int bits = 0;
        for (std::size_t b = 0; b < clean.size(); ++b)
            bits += std::popcount(std::to_integer<unsigned>(clean[b] ^ o.bytes[b]));
        ASSERT_LE(bits, 1);  // one bit flipped, or none
        corrupted += bits;
    }
    // A flipped bit in the first four bytes changes the index the check compares against;
    // count by the engine, and check the test saw nearly all of them.
    EXPECT_NEAR(static_cast<double>(c.corrupted) / kFrames, 0.05, 0.003);
    EXPECT_GE(corrupted, static_cast<int>(c.corrupted * 9 / 10));
}

TEST(Impairment, TheSameSeedGivesTheSameDropsTwice) {
    const Settings s = netem("loss 3% duplicate 1% delay 1ms 500us reorder 5%");
    auto pattern = [&](std::uint64_t seed) {
        Impairment imp(s, seed);
        std::vector<std::uint32_t> order;
        for (const Out& o : run(imp, 50us, 50us, 20'000))
            order.push_back(o.index);
        return order;
    };
    EXPECT_EQ(pattern(77), pattern(77));
    EXPECT_NE(pattern(77), pattern(78));
    // A seed in the settings wins over the one passed in.
    Settings seeded = s;
    seeded.seed = 5;
    Impairment a(seeded, 1), b(seeded, 2);
    std::vector<std::uint32_t> ia, ib;
    for (const Out& o : run(a, 50us, 50us, 5000))
        ia.push_back(o.index);
    for (const Out& o : run(b, 50us, 50us, 5000))
        ib.push_back(o.index);
    EXPECT_EQ(ia, ib);
}

TEST(Impairment, ReconfiguringKeepsQueuedFramesAndLosesNothingUndecided) {
    Impairment imp(netem("delay 50ms limit 5000"), 2);
    std::vector<std::uint32_t> got;
    Instant now{std::chrono::seconds(1)};
    auto emit = [&](std::span<const std::byte> f) { got.push_back(index_of(f)); };
    std::uint32_t i = 0;
    for (; i < 1000; ++i, now += 10us)
        imp.offer(frame(i), now);
    EXPECT_EQ(imp.queued(), 1000U);
    imp.configure(netem("loss 20% limit 5000"));  // takes effect on the next frame
    for (; i < 2000; ++i, now += 10us) {
        imp.offer(frame(i), now);
        imp.release(now, emit);
    }
    imp.configure(netem("limit 5000"));
    for (; i < 3000; ++i, now += 10us) {
        imp.offer(frame(i), now);
        imp.release(now, emit);
    }
    imp.release(now + 1s, emit);
    const Counters c = imp.counters();
    EXPECT_EQ(c.queued, 0U);
    // Every frame came out except those the loss model dropped, all in the middle third.
    EXPECT_EQ(c.frames_in, 3000U);
    EXPECT_EQ(c.dropped_queue, 0U);
    EXPECT_EQ(got.size() + c.dropped_loss, 3000U);
    EXPECT_NEAR(static_cast<double>(c.dropped_loss), 200.0, 60.0);
    std::vector<bool> seen(3000, false);
    for (auto g : got)
        seen[g] = true;
    for (std::uint32_t k = 0; k < 1000; ++k)
        EXPECT_TRUE(seen[k]) << "queued frame " << k << " lost by the change";
    for (std::uint32_t k = 2000; k < 3000; ++k)
        EXPECT_TRUE(seen[k]) << "frame " << k << " after the loss was cleared";
}

TEST(Impairment, TheLimitBoundsTheQueue) {
    Impairment imp(netem("delay 1s limit 10"), 1);
    const Instant now{std::chrono::seconds(1)};
    for (std::uint32_t i = 0; i < 25; ++i)
        imp.offer(frame(i), now);
    const Counters c = imp.counters();
    EXPECT_EQ(c.queued, 10U);
    EXPECT_EQ(c.dropped_queue, 15U);
    EXPECT_EQ(imp.next_due(), now + 1s);
    EXPECT_EQ(imp.release(now + 999ms, [](auto) {}), 0U);
    EXPECT_EQ(imp.release(now + 1s, [](auto) {}), 10U);
    EXPECT_FALSE(imp.next_due().has_value());
}

}  // namespace
}  // namespace shmif::impair
