// The devices themselves: MemoryDevice, MemoryHub, FaultInjector, Tracer.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "netstack/middleware.hpp"

namespace nstest {
namespace {

TEST(MemoryDevice, RecordsRefusesAndPops) {
    MemoryDevice d(100);
    EXPECT_EQ(d.max_frame(), 100u);
    EXPECT_EQ(d.transmit(pattern(60)), TxStatus::sent);
    EXPECT_EQ(d.transmit(pattern(101)), TxStatus::dropped) << "larger than max_frame";
    d.set_refuse(true);
    EXPECT_EQ(d.transmit(pattern(60)), TxStatus::dropped);
    d.set_refuse(false);
    EXPECT_EQ(d.transmit(pattern(61)), TxStatus::sent);
    EXPECT_EQ(d.transmitted(), 2u);
    EXPECT_EQ(d.refused(), 2u);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.pop(), pattern(60));
    EXPECT_EQ(d.take_all(), std::vector<FrameBuffer>{pattern(61)});
    EXPECT_TRUE(d.empty());
    EXPECT_FALSE(d.pop());
}

struct CountingDevice : Device {
    TxStatus transmit(std::span<const std::byte> frame) override {
        frames.emplace_back(frame.begin(), frame.end());
        return TxStatus::sent;
    }
    void flush() override { ++flushes; }
    std::size_t max_frame() const override { return 1514; }
    std::vector<Bytes> frames;
    int flushes = 0;
};

std::vector<Bytes> run_faults(const FaultConfig& config, std::size_t frames) {
    CountingDevice inner;
    FaultInjector faults(inner, config);
    for (std::size_t i = 0; i < frames; ++i)
        faults.transmit(pattern(20, static_cast<std::uint8_t>(i)));
    faults.release_held();
    return inner.frames;
}

TEST(FaultInjector, SameSeedSameFaults) {
    const FaultConfig config{
        .seed = 7, .drop = 0.3, .duplicate = 0.2, .corrupt = 0.2, .reorder = 0.2};
    EXPECT_EQ(run_faults(config, 200), run_faults(config, 200));
    FaultConfig other = config;
    other.seed = 8;
    EXPECT_NE(run_faults(config, 200), run_faults(other, 200));
}

TEST(FaultInjector, PassesThroughWhenClean) {
    const auto out = run_faults({}, 10);
    ASSERT_EQ(out.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i)
        EXPECT_EQ(out[i], pattern(20, static_cast<std::uint8_t>(i)));
}

TEST(FaultInjector, EachFaultDoesWhatItSays) {
    CountingDevice inner;
    FaultInjector drop(inner, {.drop = 1});
    EXPECT_EQ(drop.transmit(pattern(20)), TxStatus::sent) << "lost, not refused";
    EXPECT_TRUE(inner.frames.empty());
    EXPECT_EQ(drop.stats().dropped, 1u);

    FaultInjector dup(inner, {.duplicate = 1});
    dup.transmit(pattern(20));
    ASSERT_EQ(inner.frames.size(), 2u);
    EXPECT_EQ(inner.frames[0], inner.frames[1]);
    inner.frames.clear();

    FaultInjector corrupt(inner, {.corrupt = 1});
    corrupt.transmit(pattern(20));
    ASSERT_EQ(inner.frames.size(), 1u);
    std::size_t differing = 0;
    for (std::size_t i = 0; i < 20; ++i)
        differing += inner.frames[0][i] != pattern(20)[i] ? 1u : 0u;
    EXPECT_EQ(differing, 1u);
    inner.frames.clear();

    FaultInjector reorder(inner, {.reorder = 1});
    reorder.transmit(pattern(20, 1));  // held
    EXPECT_TRUE(inner.frames.empty());
    reorder.transmit(pattern(20, 2));  // cannot hold two: sent, then the held one
    ASSERT_EQ(inner.frames.size(), 2u);
    EXPECT_EQ(inner.frames[0], pattern(20, 2));
    EXPECT_EQ(inner.frames[1], pattern(20, 1));
    EXPECT_EQ(reorder.stats().reordered, 1u);
    reorder.flush();
    EXPECT_EQ(inner.flushes, 1);
}

TEST(Tracer, SeesEveryFrameWithItsFate) {
    MemoryDevice inner(64);
    std::vector<std::pair<std::size_t, TxStatus>> seen;
    Tracer tracer(inner, [&](std::span<const std::byte> frame, TxStatus status) {
        seen.emplace_back(frame.size(), status);
    });
    tracer.transmit(pattern(60));
    tracer.transmit(pattern(65));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], std::pair(std::size_t{60}, TxStatus::sent));
    EXPECT_EQ(seen[1], std::pair(std::size_t{65}, TxStatus::dropped));
    EXPECT_EQ(tracer.max_frame(), 64u);
}

TEST(MemoryHub, DeliversToEveryoneButTheSenderAndStopsAtItsBound) {
    ManualClock clock;
    Stack a, b, c;
    MemoryDevice da, db, dc;
    const auto ia = *a.add_interface(interface_config("a", mac(1)), da);
    const auto ib = *b.add_interface(interface_config("b", mac(2)), db);
    const auto ic = *c.add_interface(interface_config("c", mac(3)), dc);
    MemoryHub hub;
    hub.attach(a, ia, da);
    hub.attach(b, ib, db);
    hub.attach(c, ic, dc);
    da.transmit(
        ethernet({.dst = MacAddress::broadcast(), .src = mac(1), .type = 0x88b5}, pattern(46)));
    EXPECT_EQ(hub.deliver(clock.now()), 2u);
    EXPECT_EQ(a.stats().ethernet.rx_frames, 0u);
    EXPECT_EQ(b.stats().ethernet.rx_frames, 1u);
    EXPECT_EQ(c.stats().ethernet.rx_frames, 1u);
    EXPECT_EQ(hub.queued(), 0u);
    EXPECT_EQ(hub.deliver(clock.now()), 0u);

    da.transmit(pattern(60));
    EXPECT_EQ(hub.deliver(clock.now(), 0), 0u) << "zero rounds move nothing";
    EXPECT_EQ(hub.queued(), 1u);
}

}  // namespace
}  // namespace nstest
