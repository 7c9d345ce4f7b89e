// The neighbour cache state machine (Linux's NUD): incomplete -> reachable -> stale -> delay ->
// probe -> failed -> incomplete again, retries, confirmations, the merge rule, bounded queues
// and eviction; IPv6 entries beside IPv4 ones, Neighbor Advertisement flags (RFC 4861 7.2.5).
#include <gtest/gtest.h>

#include "link/neighbour_cache.hpp"
#include "test_bytes.hpp"

namespace netstack::link {
namespace {

using namespace std::chrono_literals;
using test::ip;

const MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x99}};
const MacAddress dead_mac{{0x02, 0, 0, 0, 0, 0xde}};

struct Fixture {
    ManualClock clock;
    ArpConfig config{.reachable_time = 30s,
                     .stale_time = 60s,
                     .delay_first_probe = 5s,
                     .retry_interval = 1s,
                     .max_retries = 3,
                     .ucast_probes = 3,
                     .max_entries = 4,
                     .max_pending_per_entry = 2,
                     .max_pending_total = 3};
    ArpStats stats;
    NeighbourCache cache{config, stats};
    std::vector<NeighbourCache::Request> requests;
    std::vector<PendingFrame> ready;

    NeighbourCache::Enqueued enqueue(const IpAddress& a, std::uint8_t tag = 0) {
        return cache.enqueue(1, a, PendingFrame{std::byte{tag}}, clock.now());
    }
    // An ARP packet from `a`: confirmed (a reply to us) or not (a request, a gratuitous ARP).
    bool update(const IpAddress& a, MacAddress mac, bool confirmed, bool create = false) {
        return cache.update(1, a, mac, confirmed, create, clock.now(), ready);
    }
    NeighbourCache::Advertised advertise(const IpAddress& a, NeighbourCache::Advertisement na) {
        return cache.advertised(1, a, na, clock.now(), ready);
    }
    void advance(Duration d) {
        clock.advance(d);
        cache.poll(clock.now(), requests);
    }
    std::optional<NeighbourEntry> entry(const IpAddress& a) const {
        for (const auto& e : cache.entries())
            if (e.address == a) return e;
        return std::nullopt;
    }
    NeighbourState state(const IpAddress& a) const {
        if (auto e = entry(a)) return e->state;
        ADD_FAILURE() << "no entry";
        return NeighbourState::failed;
    }
};

TEST(NeighbourCache, ResolvesAndReleasesQueuedFrames) {
    Fixture f;
    const auto a = ip(10, 0, 0, 2);
    EXPECT_FALSE(f.cache.lookup(1, a, f.clock.now()));
    EXPECT_EQ(f.enqueue(a, 1), NeighbourCache::Enqueued::queued_new);
    EXPECT_EQ(f.enqueue(a, 2), NeighbourCache::Enqueued::queued);
    EXPECT_EQ(f.enqueue(a, 3), NeighbourCache::Enqueued::dropped) << "2 per entry";
    EXPECT_EQ(f.stats.pending_dropped, 1u);
    EXPECT_EQ(f.cache.entries()[0].pending, 2u);
    EXPECT_EQ(f.state(a), NeighbourState::incomplete);

    EXPECT_TRUE(f.update(a, peer_mac, true));
    ASSERT_EQ(f.ready.size(), 2u);
    EXPECT_EQ(f.ready[0][0], std::byte{1}) << "in order";
    EXPECT_EQ(f.ready[1][0], std::byte{2});
    EXPECT_EQ(f.cache.pending_total(), 0u);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), peer_mac);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
}

TEST(NeighbourCache, UnsolicitedAnswerResolvesAsStaleThenDelay) {
    // RFC 4861 7.3.3 / Linux: a request from the neighbour (not a reply to us) gives its MAC
    // but no proof of reachability: the waiting frames go, and the entry is in delay.
    Fixture f;
    const auto a = ip(10, 0, 0, 2);
    f.enqueue(a, 1);
    EXPECT_TRUE(f.update(a, peer_mac, false));
    EXPECT_EQ(f.ready.size(), 1u);
    EXPECT_EQ(f.state(a), NeighbourState::delay);
}

TEST(NeighbourCache, RetriesThenFailsThenResolvesAgain) {
    Fixture f;
    const auto a = ip(10, 0, 0, 3);
    f.enqueue(a);
    EXPECT_EQ(*f.cache.next_deadline(), f.clock.now() + 1s);
    f.advance(1s);
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 2u) << "requests 2 and 3 (the caller sent the first)";
    for (const auto& r : f.requests)
        EXPECT_FALSE(r.unicast) << "resolution broadcasts";
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 2u);
    EXPECT_EQ(f.state(a), NeighbourState::failed);
    EXPECT_EQ(f.stats.resolve_failed, 1u);
    EXPECT_EQ(f.stats.pending_dropped, 1u);
    EXPECT_FALSE(f.cache.lookup(1, a, f.clock.now())) << "nothing is sent to a failed entry";
    EXPECT_EQ(f.enqueue(a), NeighbourCache::Enqueued::queued_new)
        << "the next packet starts a new broadcast resolution at once (Linux)";
    EXPECT_EQ(f.state(a), NeighbourState::incomplete);
}

TEST(NeighbourCache, FailedEntryIsForgottenWhenUnused) {
    Fixture f;
    const auto a = ip(10, 0, 0, 3);
    f.enqueue(a);
    for (int i = 0; i < 3; ++i)
        f.advance(1s);
    EXPECT_EQ(f.state(a), NeighbourState::failed);
    f.advance(59s);
    EXPECT_EQ(f.cache.size(), 1u);
    f.advance(1s);
    EXPECT_TRUE(f.cache.entries().empty()) << "after stale_time";
}

TEST(NeighbourCache, ReachableGoesStaleThenExpiresUnused) {
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    EXPECT_FALSE(f.update(a, peer_mac, true, true));
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    f.advance(29s);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    f.advance(1s);
    EXPECT_EQ(f.state(a), NeighbourState::stale);
    f.advance(60s);
    EXPECT_TRUE(f.cache.entries().empty());
    EXPECT_FALSE(f.cache.next_deadline());
    EXPECT_TRUE(f.requests.empty()) << "an unused entry is never probed";
}

TEST(NeighbourCache, StaleUseDelaysThenProbesUnicastThenFails) {
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    f.update(a, peer_mac, true, true);
    f.advance(30s);
    ASSERT_EQ(f.state(a), NeighbourState::stale);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), peer_mac) << "stale entries are still used";
    EXPECT_EQ(f.state(a), NeighbourState::delay);
    EXPECT_EQ(*f.cache.next_deadline(), f.clock.now() + 5s);
    f.advance(4s);
    EXPECT_EQ(f.state(a), NeighbourState::delay);
    EXPECT_TRUE(f.requests.empty()) << "no probe during the delay";
    f.advance(1s);
    EXPECT_EQ(f.state(a), NeighbourState::probe);
    ASSERT_EQ(f.requests.size(), 1u) << "the first unicast probe on entering probe";
    EXPECT_EQ(f.requests[0].unicast, peer_mac);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), peer_mac) << "still used while probing";
    f.advance(1s);
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 3u) << "ucast_probes unicast requests";
    for (const auto& r : f.requests)
        EXPECT_EQ(r.unicast, peer_mac);
    EXPECT_EQ(f.state(a), NeighbourState::probe);
    f.advance(1s);
    EXPECT_EQ(f.state(a), NeighbourState::failed);
    EXPECT_EQ(f.stats.nud_failed, 1u);
    EXPECT_EQ(f.stats.resolve_failed, 0u);
    EXPECT_FALSE(f.cache.lookup(1, a, f.clock.now()));
    EXPECT_EQ(f.enqueue(a), NeighbourCache::Enqueued::queued_new) << "then broadcast resolution";
    EXPECT_EQ(f.cache.entries()[0].mac, MacAddress{});
}

TEST(NeighbourCache, ConfirmedReplyDuringDelayOrProbeMakesReachable) {
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    f.update(a, peer_mac, true, true);
    f.advance(30s);
    f.cache.lookup(1, a, f.clock.now());
    ASSERT_EQ(f.state(a), NeighbourState::delay);
    f.update(a, peer_mac, false);
    EXPECT_EQ(f.state(a), NeighbourState::delay) << "an unsolicited ARP, same MAC: no change";
    f.update(a, peer_mac, true);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    EXPECT_EQ(*f.cache.next_deadline(), f.clock.now() + 30s);

    f.advance(30s);
    f.cache.lookup(1, a, f.clock.now());
    f.advance(5s);
    ASSERT_EQ(f.state(a), NeighbourState::probe);
    f.update(a, peer_mac, true);
    EXPECT_EQ(f.state(a), NeighbourState::reachable) << "the probe was answered";
    f.advance(1s);
    EXPECT_EQ(f.requests.size(), 1u) << "no more probes";
}

TEST(NeighbourCache, UpperLayerConfirmation) {
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    EXPECT_FALSE(f.cache.confirm(1, a, f.clock.now())) << "no entry";
    f.enqueue(a);
    EXPECT_FALSE(f.cache.confirm(1, a, f.clock.now())) << "no MAC to confirm";
    f.update(a, peer_mac, true);
    f.advance(30s);
    f.cache.lookup(1, a, f.clock.now());
    f.advance(3s);
    ASSERT_EQ(f.state(a), NeighbourState::delay);
    EXPECT_TRUE(f.cache.confirm(1, a, f.clock.now()));
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    f.advance(10s);
    EXPECT_TRUE(f.requests.empty()) << "confirmed within the delay: never probed";
    // In probe too.
    f.advance(20s);
    f.cache.lookup(1, a, f.clock.now());
    f.advance(6s);
    ASSERT_EQ(f.state(a), NeighbourState::probe);
    EXPECT_TRUE(f.cache.confirm(1, a, f.clock.now()));
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
}

TEST(NeighbourCache, ChangedMacIsStaleUntilConfirmed) {
    // The case: a gratuitous ARP from a host that then went away rewrote the MAC.
    Fixture f;
    const auto a = ip(10, 0, 0, 4);
    f.update(a, peer_mac, true, true);
    f.update(a, dead_mac, false);
    EXPECT_EQ(f.state(a), NeighbourState::stale) << "not trusted as reachable";
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), dead_mac);
    EXPECT_EQ(f.state(a), NeighbourState::delay);
    f.advance(5s);
    f.advance(1s);
    f.advance(1s);
    f.advance(1s);
    EXPECT_EQ(f.state(a), NeighbourState::failed) << "8 s with Linux's timings";
    ASSERT_EQ(f.requests.size(), 3u);
    EXPECT_EQ(f.requests[0].unicast, dead_mac);
    EXPECT_EQ(f.enqueue(a), NeighbourCache::Enqueued::queued_new);
    f.update(a, peer_mac, true);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), peer_mac);
    // A confirmed reply with another MAC is taken at once.
    f.update(a, dead_mac, true);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), dead_mac);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
}

TEST(NeighbourCache, ZeroUnicastProbesFailsAfterTheDelay) {
    Fixture f;
    f.config.ucast_probes = 0;
    const auto a = ip(10, 0, 0, 4);
    f.update(a, peer_mac, false, true);
    EXPECT_EQ(f.state(a), NeighbourState::stale) << "learnt unsolicited";
    f.cache.lookup(1, a, f.clock.now());
    f.advance(5s);
    EXPECT_EQ(f.state(a), NeighbourState::failed);
    EXPECT_TRUE(f.requests.empty());
}

TEST(NeighbourCache, MergeRuleCreatesOnlyWhenAsked) {
    Fixture f;
    const auto a = ip(10, 0, 0, 5);
    EXPECT_FALSE(f.update(a, peer_mac, false));
    EXPECT_TRUE(f.cache.entries().empty()) << "RFC 826: not for us, nothing to merge";
    EXPECT_FALSE(f.update(a, peer_mac, false, true));
    EXPECT_EQ(f.cache.size(), 1u);
    EXPECT_EQ(f.state(a), NeighbourState::stale) << "a request to us: learnt, not confirmed";
    const MacAddress moved{{0x02, 0, 0, 0, 0, 0x77}};
    EXPECT_TRUE(f.update(a, moved, false));
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), moved) << "merge updates the MAC";
    EXPECT_FALSE(f.cache.lookup(2, a, f.clock.now())) << "entries are per interface";
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

    f.update(ip(10, 0, 1, 9), peer_mac, true, true);  // 4 entries
    f.ready.clear();
    f.advance(30s);  // (the incomplete ones fail on the way)
    EXPECT_EQ(f.cache.size(), 4u);
    f.update(ip(10, 0, 1, 10), peer_mac, true, true);
    EXPECT_EQ(f.cache.size(), 4u);
    EXPECT_EQ(f.stats.cache_full, 1u);
    f.cache.flush();
    EXPECT_TRUE(f.cache.entries().empty());
    EXPECT_EQ(f.cache.pending_total(), 0u);
}

TEST(NeighbourCache, Ipv6EntriesLiveBesideIpv4Ones) {
    Fixture f;
    const IpAddress v4 = ip(10, 0, 0, 2);
    const IpAddress mapped = Ipv6Address::v4_mapped(ip(10, 0, 0, 2));  // the same 16 bytes
    const IpAddress v6 = *Ipv6Address::parse("fe80::2");
    EXPECT_EQ(f.enqueue(v4, 4), NeighbourCache::Enqueued::queued_new);
    EXPECT_EQ(f.enqueue(mapped, 6), NeighbourCache::Enqueued::queued_new) << "a new entry";
    EXPECT_EQ(f.enqueue(v6, 7), NeighbourCache::Enqueued::queued_new);
    EXPECT_EQ(f.cache.size(), 3u);

    f.update(mapped, peer_mac, true);
    ASSERT_EQ(f.ready.size(), 1u);
    EXPECT_EQ(f.ready[0], PendingFrame{std::byte{6}}) << "only the IPv6 entry's frame";
    EXPECT_EQ(f.state(mapped), NeighbourState::reachable);
    EXPECT_EQ(f.state(v4), NeighbourState::incomplete);
    EXPECT_FALSE(f.cache.lookup(1, v4, f.clock.now()));
    EXPECT_EQ(f.cache.lookup(1, mapped, f.clock.now()), peer_mac);
    EXPECT_TRUE(f.entry(mapped)->address.is_v6());

    // Retries name the family, so the caller knows whether to ARP or to solicit.
    f.advance(1s);
    ASSERT_EQ(f.requests.size(), 2u);
    EXPECT_EQ(f.requests[0].ip, v4);
    EXPECT_TRUE(f.requests[0].ip.is_v4());
    EXPECT_EQ(f.requests[1].ip, v6);
    EXPECT_FALSE(f.requests[1].unicast);

    EXPECT_TRUE(f.cache.confirm(1, mapped, f.clock.now()));
    EXPECT_FALSE(f.cache.confirm(1, v4, f.clock.now())) << "no MAC for the IPv4 one";
    f.cache.flush();
    EXPECT_EQ(f.cache.pending_total(), 0u);
}

TEST(NeighbourCache, AdvertisementWithoutOverrideOnlyDoubtsAReachableEntry) {
    Fixture f;
    using Na = NeighbourCache::Advertisement;
    using R = NeighbourCache::Advertised;
    const IpAddress a = *Ipv6Address::parse("2001:db8::1");
    EXPECT_EQ(f.advertise(a, {.mac = peer_mac, .solicited = true}), R::unknown);
    EXPECT_TRUE(f.cache.entries().empty()) << "an advertisement never creates an entry";

    f.enqueue(a, 1);
    EXPECT_EQ(f.advertise(a, Na{.solicited = true}), R::ignored) << "incomplete, no MAC";
    EXPECT_EQ(f.state(a), NeighbourState::incomplete);
    EXPECT_EQ(f.advertise(a, {.mac = peer_mac, .solicited = true}), R::accepted)
        << "an incomplete entry takes the MAC even with O clear";
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    EXPECT_EQ(f.ready.size(), 1u);

    // O clear, another MAC: a reachable entry goes stale but keeps its MAC...
    EXPECT_EQ(f.advertise(a, {.mac = dead_mac, .solicited = true}), R::ignored);
    EXPECT_EQ(f.state(a), NeighbourState::stale);
    EXPECT_EQ(f.cache.lookup(1, a, f.clock.now()), peer_mac);
    // ...and any other entry is not touched, solicited or not.
    ASSERT_EQ(f.state(a), NeighbourState::delay);
    EXPECT_EQ(f.advertise(a, {.mac = dead_mac, .solicited = true}), R::ignored);
    EXPECT_EQ(f.state(a), NeighbourState::delay);
    EXPECT_EQ(f.entry(a)->mac, peer_mac);

    // The same MAC with O clear, or no MAC: S confirms.
    EXPECT_EQ(f.advertise(a, {.mac = peer_mac, .solicited = true}), R::accepted);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    f.advance(30s);
    ASSERT_EQ(f.state(a), NeighbourState::stale);
    EXPECT_EQ(f.advertise(a, Na{.solicited = true}), R::accepted);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    EXPECT_EQ(f.advertise(a, Na{}), R::accepted) << "unsolicited, no MAC: no change";
    EXPECT_EQ(f.state(a), NeighbourState::reachable);

    // O set: the new MAC replaces the old one; unsolicited, it is not trusted yet.
    EXPECT_EQ(f.advertise(a, {.mac = dead_mac, .override_mac = true}), R::accepted);
    EXPECT_EQ(f.state(a), NeighbourState::stale);
    EXPECT_EQ(f.entry(a)->mac, dead_mac);
    EXPECT_EQ(f.advertise(a, {.mac = peer_mac, .solicited = true, .override_mac = true}),
              R::accepted);
    EXPECT_EQ(f.state(a), NeighbourState::reachable);
    EXPECT_EQ(f.entry(a)->mac, peer_mac);
}

TEST(NeighbourCache, RouterFlagIsKeptPerEntry) {
    Fixture f;
    using R = NeighbourCache::Advertised;
    const IpAddress router = *Ipv6Address::parse("fe80::1");
    const IpAddress host = *Ipv6Address::parse("fe80::2");
    // A Router Advertisement's source address option: learnt stale, IsRouter set.
    f.cache.update(1, router, peer_mac, false, true, f.clock.now(), f.ready, true);
    f.update(host, dead_mac, false, true);
    EXPECT_TRUE(f.entry(router)->is_router);
    EXPECT_FALSE(f.entry(host)->is_router);
    f.update(router, peer_mac, true);
    EXPECT_TRUE(f.entry(router)->is_router) << "update() without is_router keeps it";

    EXPECT_EQ(f.advertise(router, {.mac = peer_mac, .router = true, .solicited = true}),
              R::accepted);
    EXPECT_TRUE(f.entry(router)->is_router);
    EXPECT_EQ(f.advertise(router, {.mac = peer_mac, .solicited = true}), R::router_lost)
        << "the caller drops it from the default router list";
    EXPECT_FALSE(f.entry(router)->is_router);
    EXPECT_EQ(f.advertise(host, {.mac = dead_mac, .router = true}), R::accepted);
    EXPECT_TRUE(f.entry(host)->is_router);
    // An ignored advertisement changes nothing, IsRouter included.
    EXPECT_EQ(f.advertise(host, {.mac = peer_mac}), R::ignored);
    EXPECT_TRUE(f.entry(host)->is_router);
}

}  // namespace
}  // namespace netstack::link
