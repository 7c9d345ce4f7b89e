// The ARP cache state machine: incomplete -> reachable -> stale -> gone, retries, failure,
// the merge rule, bounded queues and eviction.
#include <gtest/gtest.h>

#include "link/neighbour_cache.hpp"
#include "test_bytes.hpp"

namespace netstack::link {
namespace {

using namespace std::chrono_literals;
using test::ip;

const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x99}};

struct Fixture {
    ManualClock clock;
    ArpConfig config{.reachable_time = 30s,
                     .stale_time = 60s,
                     .retry_interval = 1s,
                     .max_retries = 3,
                     .max_entries = 4,
                     .max_pending_per_entry = 2,
                     .max_pending_total = 3};
    ArpStats stats;
    NeighbourCache cache{config, stats};
    std::vector<NeighbourCache::Request> requests;
    std::vector<PendingFrame> ready;

    NeighbourCache::Enqueued enqueue(Ipv4Address a, std::uint8_t tag = 0) {
        return cache.enqueue(1, a, PendingFrame{std::byte{tag}}, clock.now());
    }
    void advance(Duration d) {
        clock.advance(d);
        cache.poll(clock.now(), requests);
    }
    NeighbourState state(Ipv4Address a) const {
        for (const auto& e : cache.entries())
            if (e.address == a) return e.state;
        ADD_FAILURE() << "no entry";
        return NeighbourState::failed;
    }
};

TEST(NeighbourCache, ResolvesAndReleasesQueuedFrames) {
    Fixture f;
    const auto a = ip(10, 0, 0, 2);
    EXPECT_FALSE(f.cache.lookup(1, a, f.clock.now()).mac);
    EXPECT_EQ(f.enqueue(a, 1), NeighbourCache::Enqueued::queued_new);
    EXPECT_EQ(f.enqueue(a, 2), NeighbourCache::Enqueued::queued);
    EXPECT_EQ(f.enqueue(a, 3), NeighbourCache::Enqueued::dropped) << "2 per entry";
    EXPECT_EQ(f.stats.pending_dropped, 1u);
    EXPECT_EQ(f.cache.entries()[0].pending, 2u);
    EXPECT_EQ(f.state(a), NeighbourState::incomplete);

    EXPECT_TRUE(f.cache.update(1, a, peer_mac, false, f.clock.now(), f.ready));
    ASSERT_EQ(f.ready.size(), 2u);
    EXPECT_EQ(f.ready[0][0], std::byte{1}) << "in order";
    EXPECT_EQ(f.ready[1][0], std::byte{2});
    EXPECT_EQ(f.cache.pending_total(), 0u);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()).mac, peer_mac);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
}

TEST(NeighbourCache, RetriesThenFailsThenForgets) {
    Fixture f;
    const auto a = ip(10, 0, 0, 3);
    f.enqueue(a);
    EXPECT_EQ(*f.cache.next_deadline(), f.clock.now() + 1s);
    f.advance(1s);
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 2u) << "requests 2 and 3 (the caller sent the first)";
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 2u);
    EXPECT_EQ(f.state(a), NeighbourState::failed);
    EXPECT_EQ(f.stats.resolve_failed, 1u);
    EXPECT_EQ(f.stats.pending_dropped, 1u);
    EXPECT_EQ(f.enqueue(a), NeighbourCache::Enqueued::dropped) << "hold-down";
    f.advance(1s);
    EXPECT_TRUE(f.cache.entries().empty());
    EXPECT_EQ(f.enqueue(a), NeighbourCache::Enqueued::queued_new) << "starts over";
}

TEST(NeighbourCache, ReachableGoesStaleProbesOnceThenExpires) {
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    EXPECT_FALSE(f.cache.update(1, a, peer_mac, true, f.clock.now(), f.ready));
    f.advance(30s);
    EXPECT_EQ(f.state(a), NeighbourState::stale);
    auto first = f.cache.lookup(1, a, f.clock.now());
    EXPECT_EQ(first.mac, peer_mac) << "stale entries are still used";
    EXPECT_TRUE(first.probe);
    EXPECT_FALSE(f.cache.lookup(1, a, f.clock.now()).probe) << "one probe per stale period";
    // A reply to the probe makes it reachable again.
    f.cache.update(1, a, peer_mac, false, f.clock.now(), f.ready);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    f.advance(30s);
    f.advance(60s);
    EXPECT_TRUE(f.cache.entries().empty());
    EXPECT_FALSE(f.cache.next_deadline());
}

TEST(NeighbourCache, MergeRuleCreatesOnlyWhenAsked) {
    Fixture f;
    const auto a = ip(10, 0, 0, 5);
    EXPECT_FALSE(f.cache.update(1, a, peer_mac, false, f.clock.now(), f.ready));
    EXPECT_TRUE(f.cache.entries().empty()) << "RFC 826: not for us, nothing to merge";
    EXPECT_FALSE(f.cache.update(1, a, peer_mac, true, f.clock.now(), f.ready));
    EXPECT_EQ(f.cache.size(), 1u);
    const MacAddress moved{{0x02, 0, 0, 0, 0, 0x77}};
    EXPECT_TRUE(f.cache.update(1, a, moved, false, f.clock.now(), f.ready));
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()).mac, moved) << "merge updates the MAC";
    EXPECT_FALSE(f.cache.lookup(2, a, f.clock.now()).mac) << "entries are per interface";
}

TEST(NeighbourCache, TotalPendingBoundAndEviction) {
    Fixture f;
    f.enqueue(ip(10, 0, 1, 1));
    f.enqueue(ip(10, 0, 1, 1));
    f.enqueue(ip(10, 0, 1, 2));
    EXPECT_EQ(f.enqueue(ip(10, 0, 1, 3)), NeighbourCache::Enqueued::queued_new)
        << "the entry is made and asked for, but the frame dropped";
    EXPECT_EQ(f.stats.pending_dropped, 1u);
    EXPECT_EQ(f.cache.pending_total(), 3u);

    f.cache.update(1, ip(10, 0, 1, 9), peer_mac, true, f.clock.now(), f.ready);  // 4 entries
    f.ready.clear();
    f.advance(30s);  // (the incomplete ones fail on the way)
    EXPECT_EQ(f.cache.size(), 4u);
    f.cache.update(1, ip(10, 0, 1, 10), peer_mac, true, f.clock.now(), f.ready);
    EXPECT_EQ(f.cache.size(), 4u);
    EXPECT_EQ(f.stats.cache_full, 1u);
    f.cache.flush();
    EXPECT_TRUE(f.cache.entries().empty());
    EXPECT_EQ(f.cache.pending_total(), 0u);
}

}  // namespace
}  // namespace netstack::link
