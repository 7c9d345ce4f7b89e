// shmifd's ARP on a shared bus (issue 10, items 1 and 2), as real processes on a real bus:
// an address in use is refused (at start and by addr.add), a later claim on one of ours is
// defended, logged and counted, and a neighbour whose MAC was rewritten to a dead one is
// found again within seconds (NUD), not after ~90 s. Every wait is bounded.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon_process.hpp"
#include "netstack/address.hpp"
#include "shmif/bus.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using netstack::Ipv4Address;
using netstack::MacAddress;
using nlohmann::json;

const MacAddress fake_mac{{0x02, 0xde, 0xad, 0, 0, 0x01}};

// An ARP packet in an Ethernet frame (padded to 60 bytes), built by hand.
std::vector<std::byte> arp_frame(MacAddress eth_dst, std::uint16_t op, MacAddress sender_mac,
                                 Ipv4Address sender_ip, MacAddress target_mac,
                                 Ipv4Address target_ip) {
    std::vector<std::byte> f;
    auto put = [&](std::span<const std::uint8_t> bytes) {
        for (auto b : bytes)
            f.push_back(std::byte{b});
    };
    auto put16 = [&](std::uint16_t v) {
        f.push_back(std::byte(v >> 8));
        f.push_back(std::byte(v & 0xff));
    };
    auto put_ip = [&](Ipv4Address a) {
        const auto v = a.value;
        for (int shift = 24; shift >= 0; shift -= 8)
            f.push_back(std::byte((v >> shift) & 0xff));
    };
    put(eth_dst.bytes);
    put(sender_mac.bytes);
    put16(0x0806);
    put16(1);       // Ethernet
    put16(0x0800);  // IPv4
    f.push_back(std::byte{6});
    f.push_back(std::byte{4});
    put16(op);
    put(sender_mac.bytes);
    put_ip(sender_ip);
    put(target_mac.bytes);
    put_ip(target_ip);
    f.resize(60);
    return f;
}

class ArpDaemonTest : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    std::string bus = dir.file("lan.bus");

    std::unique_ptr<DaemonProcess> start(const std::string& name, std::vector<std::string> args) {
        auto d = std::make_unique<DaemonProcess>(dir.path(), name, std::move(args));
        EXPECT_TRUE(d->wait_ready()) << name << " did not come up:\n" << d->log();
        return d;
    }
    std::unique_ptr<DaemonProcess> start(const std::string& name, const std::string& addr) {
        return start(name, DaemonProcess::quick(bus, addr));
    }

    static std::string mac_of(DaemonProcess& d) {
        return d.ok("if.list")["interfaces"][0]["mac"].get<std::string>();
    }

    static std::uint64_t arp_counter(DaemonProcess& d, const std::string& field) {
        return d.ok("stats")["stack"]["arp"].value(field, std::uint64_t{0});
    }

    // Writes raw frames onto the bus, as another host would.
    void inject(const std::vector<std::byte>& frame, int times = 1) {
        auto opened = shmif::Bus::open(bus);
        ASSERT_TRUE(opened);
        shmif::Writer writer(*opened);
        for (int i = 0; i < times; ++i)
            ASSERT_TRUE(writer.send(frame));
    }

    // Pings `to` once every ~100 ms until a reply comes; the time it took, or nullopt.
    static std::optional<std::chrono::milliseconds> time_to_answer(
        DaemonProcess& from, const std::string& to, std::chrono::milliseconds limit) {
        const auto start = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - start < limit) {
            auto r = from.ok("ping", {{"addr", to}, {"count", 1}, {"timeout_ms", 100}});
            const auto received = r.find("received");
            if (received != r.end() && *received == 1)
                return std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start);
        }
        return std::nullopt;
    }

    static std::size_t occurrences(const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    }
};

TEST_F(ArpDaemonTest, SecondDaemonWithATakenAddressIsRefused) {
    auto a = start("a", "10.0.0.1/24");
    const auto a_mac = mac_of(*a);
    // The third daemon: the default address, which a already holds.
    const auto log = dir.file("b.log");
    const pid_t b = spawn(
        {SHMIFD_BIN, "--bus", bus, "--addr", "10.0.0.1/24", "--socket", dir.file("b.sock")}, log);
    const auto status = wait_exit(b, 10s);
    ASSERT_TRUE(status) << "the second daemon kept running:\n" << read_file(log);
    EXPECT_EQ(*status, 2) << read_file(log);
    EXPECT_NE(read_file(log).find("10.0.0.1 is in use on eth0 by " + a_mac), std::string::npos)
        << read_file(log);
    // a kept its address undisturbed: a newcomer reaches it.
    auto c = start("c", "10.0.0.3/24");
    EXPECT_EQ(c->ok("ping", {{"addr", "10.0.0.1"}, {"count", 1}})["received"], 1);
    EXPECT_EQ(arp_counter(*a, "address_conflicts"), 0u) << "a probe is not a claim";
}

TEST_F(ArpDaemonTest, AddrAddOfATakenAddressIsRefused) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    const auto a_mac = mac_of(*a);
    auto taken = b->call("addr.add", {{"if", "eth0"}, {"addr", "10.0.0.1/24"}});
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, "address_in_use");
    EXPECT_EQ(taken.error().message, "10.0.0.1 is in use on eth0 by " + a_mac);
    EXPECT_EQ(configured_addresses(b->ok("addr.list", {{"if", "eth0"}})), 1u);
    // A free one is probed for and added.
    const auto before = std::chrono::steady_clock::now();
    b->ok("addr.add", {{"if", "eth0"}, {"addr", "10.0.0.3/24"}});
    EXPECT_GE(std::chrono::steady_clock::now() - before, 90ms) << "the probe listens ~100 ms";
    EXPECT_EQ(configured_addresses(b->ok("addr.list", {{"if", "eth0"}})), 2u);
    EXPECT_GE(arp_counter(*b, "tx_address_probes"), 2u);
#ifdef SHMIFCTL_BIN
    const auto out = dir.file("shmifctl.out");
    const pid_t ctl =
        spawn({SHMIFCTL_BIN, "-s", b->socket(), "addr", "add", "eth0", "10.0.0.1/24"}, out);
    const auto status = wait_exit(ctl, 10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 1);
    EXPECT_NE(read_file(out).find("address_in_use: 10.0.0.1 is in use on eth0 by " + a_mac),
              std::string::npos)
        << read_file(out);
#endif
}

TEST_F(ArpDaemonTest, ProbingCanBeTurnedOff) {
    auto a = start("a", "10.0.0.1/24");
    const auto config = dir.file("b.toml");
    std::ofstream(config) << "[stack.arp]\nprobe_wait_ms = 0\n\n[[interface]]\nname = \"eth0\"\n"
                          << "bus = \"" << bus << "\"\naddresses = [\"10.0.0.2/24\"]\n";
    auto b = start("b", {"--config", config});
    b->ok("addr.add", {{"if", "eth0"}, {"addr", "10.0.0.1/24"}});
    EXPECT_EQ(arp_counter(*b, "tx_address_probes"), 0u);
    // a sees b's announcement of its address: a conflict, defended.
    EXPECT_TRUE(wait_until([&] { return arp_counter(*a, "address_conflicts") >= 1; }));
}

TEST_F(ArpDaemonTest, ClaimOnOurAddressIsDefendedLoggedAndCounted) {
    auto a = start("a", "10.0.0.1/24");
    const auto ours = *Ipv4Address::parse("10.0.0.1");
    inject(arp_frame(MacAddress::broadcast(), 1, fake_mac, ours, MacAddress{}, ours), 5);
    EXPECT_TRUE(wait_until([&] { return arp_counter(*a, "address_conflicts") == 5; }))
        << a->ok("stats")["stack"]["arp"].dump();
    EXPECT_EQ(arp_counter(*a, "tx_defences"), 1u) << "once per DEFEND_INTERVAL (RFC 5227 2.4)";
    const std::string warning =
        "address conflict: 10.0.0.1 on eth0 is claimed by " + fake_mac.to_string();
    EXPECT_TRUE(wait_until([&] { return occurrences(a->log(), warning) >= 1; })) << a->log();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(occurrences(a->log(), warning), 1u) << "rate limited:\n" << a->log();
    EXPECT_EQ(configured_addresses(a->ok("addr.list", {{"if", "eth0"}})), 1u)
        << "the address stays ours";
}

TEST_F(ArpDaemonTest, PeersRecoverAtOnceFromAClaimThatIsDefended) {
    // The scenario: B talks to A; another host announces A's address from its own MAC
    // (here written onto the bus directly) and goes away. A's defence puts B right.
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    ASSERT_EQ(b->ok("ping", {{"addr", "10.0.0.1"}, {"count", 2}, {"interval_ms", 20}})["received"],
              2);
    const auto ip_a = *Ipv4Address::parse("10.0.0.1");
    inject(arp_frame(MacAddress::broadcast(), 1, fake_mac, ip_a, MacAddress{}, ip_a));
    const auto took = time_to_answer(*b, "10.0.0.1", 10s);
    ASSERT_TRUE(took) << "b still cannot reach a after 10 s";
    EXPECT_LT(*took, 2s);
}

TEST_F(ArpDaemonTest, NeighbourOnADeadMacIsFoundAgainWithinSeconds) {
    // Only B hears the false claim (unicast to its MAC, so A cannot defend): B's NUD must
    // notice that the MAC does not answer (delay, unicast probes, failed) and resolve A again
    // by broadcast. Short timings, as [stack.arp] allows; Linux's would take ~9 s.
    auto a = start("a", "10.0.0.1/24");
    const auto config = dir.file("b.toml");
    std::ofstream(config) << "[daemon]\nworkers = 2\n\n"
                          << "[stack.arp]\ndelay_first_probe_ms = 300\nretry_ms = 100\n"
                          << "ucast_probes = 2\n\n"
                          << "[[interface]]\nname = \"eth0\"\nbus = \"" << bus << "\"\n"
                          << "addresses = [\"10.0.0.2/24\"]\n";
    auto b = start("b", {"--config", config});
    ASSERT_EQ(b->ok("ping", {{"addr", "10.0.0.1"}, {"count", 4}, {"interval_ms", 20}})["received"],
              4);
    const auto a_mac = mac_of(*a);
    const auto b_mac = *MacAddress::parse(mac_of(*b));
    inject(arp_frame(b_mac, 1, fake_mac, *Ipv4Address::parse("10.0.0.1"), MacAddress{},
                     *Ipv4Address::parse("10.0.0.2")));
    ASSERT_TRUE(wait_until([&] {
        const auto list = b->ok("neigh.list");
        for (const auto& n : list["neighbours"])
            if (n["mac"] == fake_mac.to_string()) return true;
        return false;
    })) << "the claim did not reach b: "
        << b->ok("neigh.list").dump();
    const auto took = time_to_answer(*b, "10.0.0.1", 15s);
    ASSERT_TRUE(took) << "b still cannot reach a after 15 s\n" << b->ok("neigh.list").dump();
    EXPECT_LT(*took, 3s);
    EXPECT_GE(arp_counter(*b, "nud_failed"), 1u);
    // Every shard that held the dead MAC has A's again (the reply reached them all).
    EXPECT_TRUE(wait_until([&] {
        const auto list = b->ok("neigh.list");
        for (const auto& row : list["neighbours"])
            if (row["addr"] == "10.0.0.1" && row["mac"] != a_mac && row["state"] != "failed")
                return false;
        return true;
    })) << b->ok("neigh.list").dump();
}

}  // namespace
}  // namespace shmifd::test
