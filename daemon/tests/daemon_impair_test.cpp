// Impairments on real shmifd processes (impair set|clear|show through shmifctl, the config
// file): ping sees the configured delay and loss, the counters say exactly what was dropped,
// every worker makes the same ingress decisions, and a clear keeps nothing back.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "daemon_fixture.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

using ImpairTest = DaemonFixture;

json ping(DaemonProcess& from, const std::string& to, int count, int interval_ms = 5) {
    return from.ok(
        "ping",
        {{"addr", to}, {"count", count}, {"interval_ms", interval_ms}, {"timeout_ms", 1000}}, 60s);
}

std::uint64_t number(const json& j, const char* key) {
    return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}

// The median round trip: a cleared delay shows in every reply, while a stall of the (shared,
// loaded) machine can stretch a few of them past any bound.
double median_rtt_us(const json& ping_result) {
    std::vector<double> rtts;
    for (const auto& reply : ping_result["replies"])
        rtts.push_back(reply["rtt_us"].get<double>());
    if (rtts.empty()) return 0;
    std::nth_element(rtts.begin(), rtts.begin() + static_cast<std::ptrdiff_t>(rtts.size() / 2),
                     rtts.end());
    return rtts[rtts.size() / 2];
}

json counters(DaemonProcess& d, const char* direction) {
    return d.ok("impair.show", {{"name", "eth0"}})["interfaces"][0][direction]["counters"];
}

TEST_F(ImpairTest, EgressDelayAndLossAsPingSeesThemAndExactCounters) {
    auto a = start("a", lan, "10.0.0.1/24");
    auto b = start("b", lan, "10.0.0.2/24");
    ASSERT_TRUE(ipv6_settled(*a) && ipv6_settled(*b));
    ASSERT_EQ(received(*a, "10.0.0.2"), 2u);  // ARP resolved before any impairment

    std::string out;
    ASSERT_EQ(shmifctl(*a, {"impair", "set", "eth0", "egress", "delay", "20ms"}, out), 0) << out;
    EXPECT_NE(out.find("delay 20ms"), std::string::npos) << out;
    auto r = ping(*a, "10.0.0.2", 5, 30);
    EXPECT_EQ(number(r, "received"), 5u);
    EXPECT_GE(r["rtt_min_us"].get<double>(), 20'000.0) << r.dump();

    // 30 % of 300 requests, seeded: within four standard deviations (sqrt(300 * .3 * .7) = 8).
    ASSERT_EQ(shmifctl(*a, {"impair", "set", "eth0", "egress", "loss", "30%", "seed", "7"}, out), 0)
        << out;
    const auto before = counters(*a, "egress");
    r = ping(*a, "10.0.0.2", 300);
    const std::uint64_t lost = 300 - number(r, "received");
    EXPECT_GE(lost, 90u - 32u);
    EXPECT_LE(lost, 90u + 32u);
    const auto after = counters(*a, "egress");
    // Each lost reply is a request the impairment dropped (an ARP probe may add one).
    const auto dropped = number(after, "dropped_loss") - number(before, "dropped_loss");
    EXPECT_GE(dropped, lost);
    EXPECT_LE(dropped, lost + 2);
    EXPECT_EQ(number(after, "frames_in") - number(before, "frames_in"),
              number(after, "frames_out") - number(before, "frames_out") + dropped);

    // Cleared: nothing lost, nothing held.
    ASSERT_EQ(shmifctl(*a, {"impair", "clear", "eth0"}, out), 0) << out;
    r = ping(*a, "10.0.0.2", 50);
    EXPECT_EQ(number(r, "received"), 50u);
    EXPECT_LT(median_rtt_us(r), 10'000.0) << r.dump();
    EXPECT_EQ(a->ok("impair.show")["interfaces"][0]["egress"]["netem"], "none");
}

TEST_F(ImpairTest, IngressLossIsDecidedAlikeOnEveryWorker) {
    auto a = start("a", lan, "10.0.0.1/24");
    auto b = start("b", lan, "10.0.0.2/24");  // two workers
    ASSERT_TRUE(ipv6_settled(*a) && ipv6_settled(*b));
    ASSERT_EQ(received(*a, "10.0.0.2"), 2u);
    b->ok("impair.set", {{"name", "eth0"}, {"direction", "ingress"}, {"netem", "loss 50%"}});
    const auto r = ping(*a, "10.0.0.2", 400);
    const auto got = number(r, "received");
    // sqrt(400 * .5 * .5) = 10: four standard deviations around 200.
    EXPECT_GE(got, 160u);
    EXPECT_LE(got, 240u);
    // Both workers read every request and decided the same: the requests worker 0 let
    // through (its counters) are exactly those answered, whichever worker answered them,
    // and no request was answered twice.
    const auto in = counters(*b, "ingress");
    EXPECT_EQ(number(in, "frames_out"), got);
    std::set<std::uint64_t> seqs;
    for (const auto& reply : r["replies"])
        EXPECT_TRUE(seqs.insert(reply["seq"].get<std::uint64_t>()).second) << reply.dump();
}

TEST_F(ImpairTest, BadWordsAndUnknownInterfacesAreRefusedClearly) {
    auto a = start("a", lan, "10.0.0.1/24");
    std::string out;
    EXPECT_EQ(shmifctl(*a, {"impair", "set", "eth0", "egress", "loss", "120%"}, out), 1) << out;
    EXPECT_NE(out.find("'120%' is not a percentage"), std::string::npos) << out;
    EXPECT_EQ(shmifctl(*a, {"impair", "set", "eth9", "egress", "loss", "1%"}, out), 1) << out;
    EXPECT_NE(out.find("not_found"), std::string::npos) << out;
    EXPECT_EQ(shmifctl(*a, {"impair", "set", "eth0", "sideways", "loss", "1%"}, out), 2) << out;
    EXPECT_EQ(shmifctl(*a, {"impair", "show", "eth9"}, out), 1) << out;
}

TEST_F(ImpairTest, TheConfigFileSetsThemAndAReloadChangesThem) {
    const auto file = dir.file("d.toml");
    auto config = [&](const std::string& egress) {
        write_text_file(file, "[daemon]\nsocket = \"" + dir.file("d.sock") +
                                  "\"\n[[interface]]\nname = \"eth0\"\nbus = \"" + lan +
                                  "\"\naddresses = [\"10.0.0.1/24\"]\nimpair_egress = \"" + egress +
                                  "\"\n");
    };
    config("delay 30ms");
    DaemonProcess d(dir.path(), "d", {"--config", file});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    auto b = start("b", lan, "10.0.0.2/24");
    auto r = ping(d, "10.0.0.2", 3, 40);
    EXPECT_EQ(number(r, "received"), 3u);
    EXPECT_GE(r["rtt_min_us"].get<double>(), 30'000.0);
    EXPECT_EQ(d.ok("config")["interface"][0]["impair_egress"], "delay 30ms");

    config("delay 1ms");
    d.signal(SIGHUP);
    ASSERT_TRUE(wait_until([&] {
        return d.ok("impair.show")["interfaces"][0]["egress"]["netem"] == "delay 1ms";
    })) << d.log();
    r = ping(d, "10.0.0.2", 3, 40);
    EXPECT_LT(median_rtt_us(r), 10'000.0) << r.dump();

    config("delay 10 parsecs");
    d.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] { return d.log().find("parsecs") != std::string::npos; }))
        << d.log();
    EXPECT_EQ(d.ok("impair.show")["interfaces"][0]["egress"]["netem"], "delay 1ms");
}

}  // namespace
}  // namespace shmifd::test
