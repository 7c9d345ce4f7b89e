// The daemon's loopback interface lo: 127.0.0.1/8 on a bus private to the daemon that every
// worker reads, so traffic a worker sends to 127.0.0.1 (or to any of the daemon's addresses)
// reaches the worker that owns its flow, whichever that is.
#include <future>
#include <string>

#include "daemon_fixture.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

class DaemonLoopbackTest : public DaemonFixture {
  protected:
    // `receiver` waits on `port` while `sender` sends to ADDR:port from `from_port`, again
    // until one arrives (the socket exists only once udp.recv reached its worker).
    static void udp_across(DaemonProcess& d, const std::string& addr, int port, int from_port) {
        auto waiting = std::async(std::launch::async, [&] {
            return d.call("udp.recv", {{"port", port}, {"timeout_ms", 5000}}, 10s);
        });
        const std::string data =
            "to " + std::to_string(port) + " from " + std::to_string(from_port);
        for (int i = 0; i < 80 && waiting.wait_for(50ms) != std::future_status::ready; ++i) {
            const auto sent = d.ok("udp.send", {{"to", addr + ":" + std::to_string(port)},
                                                {"data", data},
                                                {"from_port", from_port}});
            EXPECT_EQ(sent["from"], (addr.starts_with("127.") ? "127.0.0.1" : addr) + ":" +
                                        std::to_string(from_port));
        }
        auto got = waiting.get();
        ASSERT_TRUE(got) << got.error().message;
        ASSERT_EQ((*got)["datagrams"].size(), 1u) << got->dump();
        EXPECT_EQ((*got)["datagrams"][0]["data"], data);
    }

    static json interface(DaemonProcess& d, const std::string& name) {
        const json list = d.ok("if.list");  // kept: the loop reads into it
        for (const auto& i : list["interfaces"])
            if (i["name"] == name) return i;
        return nullptr;
    }
};

TEST_F(DaemonLoopbackTest, EveryDaemonHasLoAndPingsItselfOnIt) {
    auto d = start("a", lan, "10.0.0.1/24");  // two workers
    const auto interfaces = d->ok("if.list")["interfaces"];
    ASSERT_EQ(interfaces.size(), 2u) << interfaces.dump();
    EXPECT_EQ(interfaces[0]["name"], "eth0") << "configured interfaces first";
    const json& lo = interfaces[1];
    EXPECT_EQ(lo["name"], "lo");
    EXPECT_EQ(lo["loopback"], true);
    EXPECT_EQ(lo["mtu"], 65535);
    EXPECT_EQ(lo["addresses"], json::array({"127.0.0.1/8", "::1/128"}));
    EXPECT_EQ(lo["state"], "up");

    auto eth0_tx = [&] { return d->ok("stats")["interfaces"][0].value("tx_frames", 0); };
    const auto eth0_before = eth0_tx();
    // Every ping is sent by some worker and answered by worker 0: both shards are involved.
    for (const std::string to : {"127.0.0.1", "127.1.2.3", "10.0.0.1"}) {
        const auto r = d->ok("ping", {{"addr", to},
                                      {"count", 6},
                                      {"size", 1000},
                                      {"interval_ms", 10},
                                      {"timeout_ms", 2000}});
        EXPECT_EQ(r["received"], 6) << to << ": " << r.dump();
    }
    const auto stats = d->ok("stats");
    std::uint64_t lo_frames = 0;
    for (const auto& i : stats["interfaces"])
        if (i["name"] == "lo") lo_frames = i.value("rx_frames", std::uint64_t{0});
    EXPECT_GE(lo_frames, 36u) << "requests and replies went over lo: " << stats.dump();
    EXPECT_EQ(stats["stack"]["ipv4"].value("drop_martian", 1), 0);
    EXPECT_EQ(eth0_tx(), eth0_before) << "nothing of it on the shared bus";
}

TEST_F(DaemonLoopbackTest, UdpReachesTheWorkerThatOwnsThePort) {
    auto d = start("a", lan, "10.0.0.1/24");  // two workers: port % 2 owns a datagram
    udp_across(*d, "127.0.0.1", 7100, 7101);  // sent by worker 1, for worker 0
    udp_across(*d, "127.0.0.1", 7201, 7200);  // sent by worker 0, for worker 1
    udp_across(*d, "127.0.0.1", 7302, 7304);  // within worker 0
    udp_across(*d, "10.0.0.1", 7401, 7400);   // our bus address, through lo too
}

TEST_F(DaemonLoopbackTest, ServicesAnswerOn127001WithOneAndTwoWorkers) {
    for (const int workers : {1, 2}) {
        SCOPED_TRACE(workers);
        auto args = DaemonProcess::quick(lan, "10.0.0.1/24", workers);
        args.insert(args.end(), {"--serve", "echo/udp"});
        DaemonProcess d(dir.path(), "w" + std::to_string(workers), args);
        ASSERT_TRUE(d.wait_ready()) << d.log();
        // From source ports of both parities: the echo service of port 7 lives on worker
        // 7 % workers, the senders on either worker.
        for (const int from : {5000, 5001, 5002, 5003})
            d.ok("udp.send", {{"to", "127.0.0.1:7"}, {"data", "ping"}, {"from_port", from}});
        const bool all_there = wait_until([&] {
            const json list = d.ok("service.list");
            for (const auto& s : list["services"])
                if (s["kind"] == "echo" && s.value("datagrams", 0) == 4) return true;
            return false;
        });
        EXPECT_TRUE(all_there) << d.ok("service.list").dump();
        // The echoes went back to ports nobody listens on any more: port unreachable, also
        // over lo.
        EXPECT_TRUE(wait_until([&] {
            return d.ok("stats")["stack"]["icmp"].value("rx_errors", 0) >= 4;
        })) << d.ok("stats")["stack"].dump();
    }
}

TEST_F(DaemonLoopbackTest, LoCannotBeDeletedButCanBeTurnedOff) {
    auto d = start("a", lan, "10.0.0.1/24");
    const auto refused = d->call("if.del", {{"name", "lo"}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "invalid_args");
    EXPECT_NE(interface(*d, "lo"), nullptr);
    // lo is the daemon's, not the configuration's.
    const auto config = d->ok("config");
    EXPECT_EQ(config["interface"].size(), 1u) << config.dump();
    EXPECT_EQ(config["daemon"]["loopback"], true);
    // Down, 127/8 is unreachable (and our own address reached only within the sending
    // worker, so a ping of it only from worker 0, which answers pings).
    d->ok("if.down", {{"name", "lo"}});
    const auto down = d->call("ping", {{"addr", "127.0.0.1"}, {"timeout_ms", 200}});
    EXPECT_TRUE(!down || (*down)["received"] == 0) << (down ? down->dump() : "");
    d->ok("if.up", {{"name", "lo"}});
    EXPECT_EQ(received(*d, "127.0.0.1"), 2u);

    auto none = start("b", wan, "10.0.1.1/24", {"--no-loopback"});
    EXPECT_EQ(none->ok("if.list")["interfaces"].size(), 1u);
    EXPECT_EQ(none->ok("config")["daemon"]["loopback"], false);
    const auto unreachable = none->call("ping", {{"addr", "127.0.0.1"}, {"timeout_ms", 200}});
    EXPECT_TRUE(!unreachable || (*unreachable)["received"] == 0);
}

}  // namespace
}  // namespace shmifd::test
