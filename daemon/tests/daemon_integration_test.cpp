// shmifd as a process: several daemons on one bus in a temporary directory, driven through
// their control sockets. Every wait is bounded; every daemon is killed at the end.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

#include "daemon_process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class DaemonTest : public ::testing::Test {
  protected:
    shmif::test::TempDir dir;
    std::string bus = dir.file("lan.bus");

    std::unique_ptr<DaemonProcess> start(const std::string& name, const std::string& addr,
                                         int workers = 2) {
        auto d = std::make_unique<DaemonProcess>(dir.path(), name,
                                                 DaemonProcess::quick(bus, addr, workers));
        EXPECT_TRUE(d->wait_ready()) << name << " did not come up:\n" << d->log();
        return d;
    }

    static json ping(DaemonProcess& from, const std::string& to, int count, int interval_ms = 20,
                     int timeout_ms = 2000) {
        return from.ok("ping",
                       {{"addr", to},
                        {"count", count},
                        {"interval_ms", interval_ms},
                        {"timeout_ms", timeout_ms}},
                       std::chrono::milliseconds(count * interval_ms + timeout_ms + 5000));
    }

    static std::uint64_t counter(const json& stats, const std::string& field) {
        return stats["interfaces"][0].value(field, std::uint64_t{0});
    }
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

TEST_F(DaemonTest, TwoDaemonsPingBothWays) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    auto ab = ping(*a, "10.0.0.2", 5);
    EXPECT_EQ(ab["sent"], 5);
    EXPECT_EQ(ab["received"], 5) << ab.dump();
    auto ba = ping(*b, "10.0.0.1", 5);
    EXPECT_EQ(ba["received"], 5) << ba.dump();
    ASSERT_FALSE(ba["replies"].empty());
    EXPECT_EQ(ba["replies"][0]["from"], "10.0.0.1");
    EXPECT_GT(ba["rtt_max_us"].get<double>(), 0.0);
    // Both learned each other.
    auto neighbours = a->ok("neigh.list");
    bool found = false;
    for (const auto& n : neighbours["neighbours"])
        found |= n["addr"] == "10.0.0.2";
    EXPECT_TRUE(found) << neighbours.dump();
}

TEST_F(DaemonTest, ShmifctlPingsThroughTheDaemon) {
#ifndef SHMIFCTL_BIN
    GTEST_SKIP() << "shmifctl is not built";
#else
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    const auto out = dir.file("shmifctl.out");
    const pid_t pid = spawn(
        {SHMIFCTL_BIN, "-s", a->socket(), "--json", "ping", "-c", "3", "-i", "0.02", "10.0.0.2"},
        out);
    auto status = wait_exit(pid, 15s);
    ASSERT_TRUE(status) << "shmifctl did not finish";
    EXPECT_EQ(*status, 0) << read_file(out);
    auto result = json::parse(read_file(out), nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << read_file(out);
    EXPECT_EQ(result["received"], 3);
#endif
}

TEST_F(DaemonTest, ThreeDaemonsUdpCross) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24", 3);
    auto c = start("c", "10.0.0.3/24", 1);
    // b waits on port 7001 while c sends to it; c's datagrams are repeated until b has one,
    // because b's socket exists only once its udp.recv reached its shard.
    auto cross = [&](DaemonProcess& receiver, DaemonProcess& sender, const std::string& to,
                     int port, const std::string& data) {
        auto waiting = std::async(std::launch::async, [&] {
            return receiver.call("udp.recv", {{"port", port}, {"timeout_ms", 5000}}, 10s);
        });
        int sent = 0;
        while (waiting.wait_for(50ms) != std::future_status::ready && sent < 80) {
            sender.ok("udp.send", {{"to", to + ":" + std::to_string(port)}, {"data", data}});
            ++sent;
        }
        auto got = waiting.get();
        EXPECT_TRUE(got) << (got ? "" : got.error().message);
        if (!got) return;
        ASSERT_EQ((*got)["datagrams"].size(), 1u) << got->dump();
        EXPECT_EQ((*got)["datagrams"][0]["data"], data);
    };
    cross(*b, *c, "10.0.0.2", 7001, "from c to b");
    cross(*c, *a, "10.0.0.3", 7002, "from a to c");
    cross(*a, *b, "10.0.0.1", 7003, "from b to a");

    // A chosen source port is reported and seen by the receiver.
    auto waiting = std::async(std::launch::async, [&] {
        return a->call("udp.recv", {{"port", 7100}, {"timeout_ms", 5000}}, 10s);
    });
    json sent;
    for (int i = 0; i < 80 && waiting.wait_for(50ms) != std::future_status::ready; ++i)
        sent = c->ok("udp.send", {{"to", "10.0.0.1:7100"}, {"data", "x"}, {"from_port", 5353}});
    EXPECT_EQ(sent["from"], "10.0.0.3:5353");
    auto got = waiting.get();
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["datagrams"][0]["from"], "10.0.0.3:5353");
}

TEST_F(DaemonTest, UdpRecvReplyStopsAtOneMebibyteAndSaysTruncated) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    auto waiting = std::async(std::launch::async, [&] {
        return a->call("udp.recv", {{"port", 7300}, {"count", 1000}, {"timeout_ms", 20000}}, 30s);
    });
    const std::string data(60000, 'u');
    for (int i = 0; i < 200 && waiting.wait_for(20ms) != std::future_status::ready; ++i)
        (void)b->call("udp.send", {{"to", "10.0.0.1:7300"}, {"data", data}});
    auto got = waiting.get();
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ((*got)["truncated"], true);
    std::size_t payload = 0;
    for (const auto& d : (*got)["datagrams"])
        payload += d["data"].get<std::string>().size();
    EXPECT_GE(payload, 1024u * 1024u);
    EXPECT_LT(payload, 1024u * 1024u + data.size());
}

TEST_F(DaemonTest, LongRunningRequestsAreBounded) {
    auto a = start("a", "10.0.0.1/24", 1);
    auto ping = a->call("ping", {{"addr", "10.0.0.9"}, {"count", 1000}, {"interval_ms", 60000}});
    ASSERT_FALSE(ping);
    EXPECT_EQ(ping.error().code, "invalid_args");
    auto recv = a->call("udp.recv", {{"port", 7301}, {"timeout_ms", 600001}});
    ASSERT_FALSE(recv);
    EXPECT_EQ(recv.error().code, "invalid_args");
    // A zero timeout answers at once with what is queued: nothing, not truncated.
    auto short_one = a->call("udp.recv", {{"port", 7302}, {"timeout_ms", 0}});
    ASSERT_TRUE(short_one) << short_one.error().message;
    EXPECT_EQ((*short_one)["truncated"], false);
}

TEST_F(DaemonTest, StatisticsAddUp) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    ping(*a, "10.0.0.2", 1);  // ARP settled both ways
    auto bus_frames = [&] {
        return a->ok("bus.stats")["buses"][0]["frames_written"].get<std::uint64_t>();
    };
    const auto a0 = a->ok("stats"), b0 = b->ok("stats");
    const auto bus0 = bus_frames();
    auto result = ping(*a, "10.0.0.2", 20, 5);
    ASSERT_EQ(result["received"], 20);

    // Once the traffic has settled: what one sent, the other read (or counted as lost), and
    // the bus holds exactly the frames both wrote.
    json a1, b1;
    std::uint64_t bus1 = 0;
    const bool balanced = wait_until([&] {
        a1 = a->ok("stats");
        b1 = b->ok("stats");
        bus1 = bus_frames();
        auto delta = [](const json& s1, const json& s0, const char* f) {
            return counter(s1, f) - counter(s0, f);
        };
        return delta(a1, a0, "tx_frames") ==
                   delta(b1, b0, "rx_frames") + delta(b1, b0, "lost_frames") &&
               delta(b1, b0, "tx_frames") ==
                   delta(a1, a0, "rx_frames") + delta(a1, a0, "lost_frames") &&
               bus1 - bus0 == delta(a1, a0, "tx_frames") + delta(b1, b0, "tx_frames");
    });
    EXPECT_TRUE(balanced) << "a before " << a0["interfaces"].dump() << "\na after "
                          << a1["interfaces"].dump() << "\nb before " << b0["interfaces"].dump()
                          << "\nb after " << b1["interfaces"].dump() << "\nbus " << bus0 << " -> "
                          << bus1;
    // 20 requests out of a, 20 replies out of b, at least.
    EXPECT_GE(counter(a1, "tx_frames") - counter(a0, "tx_frames"), 20u);
    EXPECT_GE(counter(b1, "tx_frames") - counter(b0, "tx_frames"), 20u);
    // Stack counters are summed over a's shards; only the pinging shard sends.
    EXPECT_EQ(a1["stack"]["icmp"]["tx_echo_requests"].get<std::uint64_t>() -
                  a0["stack"]["icmp"]["tx_echo_requests"].get<std::uint64_t>(),
              20u);
    EXPECT_EQ(a1["workers"].size(), 2u);
}

TEST_F(DaemonTest, ReconfigurationUnderTraffic) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    ping(*a, "10.0.0.2", 1);
    constexpr int count = 200;
    auto pinging = std::async(std::launch::async, [&] { return ping(*a, "10.0.0.2", count, 5); });
    int changes = 0;
    while (pinging.wait_for(0ms) != std::future_status::ready && changes < 400) {
        const auto n = std::to_string(changes % 200 + 10);
        for (auto* d : {a.get(), b.get()}) {
            d->ok("addr.add", {{"if", "eth0"}, {"addr", "10.1." + n + ".1/24"}});
            d->ok("route.add", {{"dst", "192.168." + n + ".0/24"}, {"via", "10.0.0.254"}});
            d->ok("addr.del", {{"if", "eth0"}, {"addr", "10.1." + n + ".1/24"}});
            d->ok("route.del", {{"dst", "192.168." + n + ".0/24"}});
        }
        changes += 8;
    }
    auto result = pinging.get();
    EXPECT_GT(changes, 8);
    // The bus buffers frames while workers are stopped: nothing is lost.
    EXPECT_EQ(result["received"], count) << changes << " changes; " << result.dump();
    auto addresses = b->ok("addr.list", {{"if", "eth0"}});
    EXPECT_EQ(configured_addresses(addresses), 1u) << addresses.dump();
}

TEST_F(DaemonTest, KilledDaemonLeavesOthersWorkingAndRestarts) {
    auto a = start("a", "10.0.0.1/24");
    auto b = start("b", "10.0.0.2/24");
    auto c = start("c", "10.0.0.3/24");
    EXPECT_EQ(ping(*a, "10.0.0.2", 2)["received"], 2);
    // Killed in the middle of traffic.
    auto pinging = std::async(std::launch::async, [&] {
        return b->call("ping", {{"addr", "10.0.0.3"}, {"count", 50}, {"interval_ms", 2}}, 10s);
    });
    std::this_thread::sleep_for(30ms);  // let some of b's pings be on the bus
    b->kill9();
    (void)pinging.get();
    EXPECT_EQ(ping(*a, "10.0.0.3", 5)["received"], 5);
    EXPECT_EQ(ping(*c, "10.0.0.1", 5)["received"], 5);
    EXPECT_FALSE(a->ok("bus.stats")["buses"].empty());

    b->restart();
    ASSERT_TRUE(b->wait_ready()) << b->log();
    EXPECT_EQ(ping(*b, "10.0.0.1", 3)["received"], 3);
    // a learns b's new MAC from b's gratuitous ARP or b's own requests.
    EXPECT_EQ(ping(*a, "10.0.0.2", 3)["received"], 3);
}

TEST_F(DaemonTest, ControlSocketIsOwnerOnlyUnlessAGroupIsGiven) {
    auto a = start("a", "10.0.0.1/24", 1);
    struct stat st {};
    ASSERT_EQ(::stat(a->socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // --socket-group: 0660 and that group (our own primary group, which we may always use).
    const std::string group = std::to_string(::getgid());
    auto args = DaemonProcess::quick(dir.file("other.bus"), "10.0.0.2/24", 1);
    args.insert(args.end(), {"--socket-group", group});
    DaemonProcess b(dir.path(), "b", args);
    ASSERT_TRUE(b.wait_ready()) << b.log();
    ASSERT_EQ(::stat(b.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    EXPECT_EQ(st.st_gid, ::getgid());
}

// A raw connection to a control socket, for abuse: blocking writes, bounded reads.
class RawClient {
  public:
    explicit RawClient(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    // The next reply line as JSON (null on timeout or a closed connection).
    json reply(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::size_t end;
        while ((end = buffer_.find('\n')) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1)
                return nullptr;
            char chunk[4096];
            const ssize_t n = ::read(fd_, chunk, sizeof(chunk));
            if (n <= 0) return nullptr;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
        const std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return json::parse(line, nullptr, false);
    }

  private:
    int fd_;
    bool connected_ = false;
    std::string buffer_;
};

std::string error_code(const json& reply) {
    return reply.is_object() && reply.contains("error") ? reply["error"].value("code", "") : "";
}

// The control library's abuse tests run against its server with a fake handler; this is the
// same abuse against a real daemon, which must keep answering everyone.
TEST_F(DaemonTest, SurvivesControlSocketAbuse) {
    auto a = start("a", "10.0.0.1/24", 1);

    RawClient garbage(a->socket());
    ASSERT_TRUE(garbage.connected());
    ASSERT_TRUE(garbage.send("\x01\xff not json\n{\"v\":9,\"cmd\":\"version\"}\n[1,2]\n"));
    EXPECT_EQ(error_code(garbage.reply()), "parse_error");
    EXPECT_EQ(error_code(garbage.reply()), "unsupported_version");
    EXPECT_EQ(error_code(garbage.reply()), "invalid_request");
    ASSERT_TRUE(garbage.send("{\"v\":1,\"id\":3,\"cmd\":\"no.such\"}\n"));
    EXPECT_EQ(error_code(garbage.reply()), "unknown_command");

    // Clients that never read, and one that leaves half a line behind.
    std::vector<std::unique_ptr<RawClient>> silent;
    for (int i = 0; i < 20; ++i) {
        silent.push_back(std::make_unique<RawClient>(a->socket()));
        ASSERT_TRUE(silent.back()->send("{\"v\":1,\"cmd\":\"stats\"}\n"));
    }
    {
        RawClient half(a->socket());
        ASSERT_TRUE(half.send("{\"v\":1,\"cmd\":\"vers"));
    }

    // A 10 MiB line: too_large, and the same connection still works afterwards.
    RawClient big(a->socket());
    ASSERT_TRUE(big.connected());
    ASSERT_TRUE(
        big.send(std::string(10 << 20, 'x') + "\n{\"v\":1,\"id\":7,\"cmd\":\"version\"}\n"));
    EXPECT_EQ(error_code(big.reply(10s)), "too_large");
    const json after = big.reply(10s);
    EXPECT_EQ(after.value("id", 0), 7);
    EXPECT_TRUE(after.value("ok", false)) << after.dump();

    // The daemon still serves fresh clients, its data path included.
    a->ok("version");
    EXPECT_EQ(a->ok("if.list")["interfaces"].size(), 2u);  // eth0 and lo
    auto b = start("b", "10.0.0.2/24", 1);
    EXPECT_EQ(ping(*b, "10.0.0.1", 3).value("received", 0), 3);
}

TEST_F(DaemonTest, SigtermAnswersInFlightRemovesSocketExitsZero) {
    auto a = start("a", "10.0.0.1/24");
    auto in_flight = std::async(std::launch::async, [&] {
        return a->call("ping", {{"addr", "10.0.0.99"}, {"count", 3}, {"interval_ms", 100}}, 10s);
    });
    std::this_thread::sleep_for(50ms);
    auto status = a->stop(SIGTERM);
    ASSERT_TRUE(status) << "no exit after SIGTERM:\n" << a->log();
    EXPECT_EQ(*status, 0) << a->log();
    EXPECT_FALSE(std::filesystem::exists(a->socket()));
    auto answer = in_flight.get();
    // Finished (nobody answers 10.0.0.99) or cut short: either way, a reply.
    if (!answer) {
        EXPECT_EQ(answer.error().code, "shutting_down") << answer.error().message;
    }
    EXPECT_NE(a->log().find("SIGTERM"), std::string::npos);
}

TEST_F(DaemonTest, SighupAppliesChangedConfig) {
    const auto file = dir.file("d.toml");
    const auto head =
        "[daemon]\nworkers = 2\n\n[[interface]]\nname = \"eth0\"\nbus = \"" + bus + "\"\n";
    write_file(file, head + "addresses = [\"10.0.0.1/24\"]\n");
    DaemonProcess d(dir.path(), "d", {"--config", file});
    ASSERT_TRUE(d.wait_ready()) << d.log();

    write_file(file, head +
                         "addresses = [\"10.0.0.7/24\", \"10.0.5.1/24\"]\n\n"
                         "[[interface]]\nname = \"eth1\"\nbus = \"" +
                         dir.file("second.bus") +
                         "\"\naddresses = [\"172.16.0.1/16\"]\n\n"
                         "[[route]]\ndst = \"192.168.0.0/16\"\nvia = \"10.0.5.254\"\n");
    d.signal(SIGHUP);
    // The route is the reload's last step: once it is there, everything is.
    json config;
    EXPECT_TRUE(wait_until([&] {
        config = d.ok("config");
        return config["route"].size() == 1;
    })) << config.dump()
        << d.log();
    EXPECT_EQ(configured_addresses(d.ok("addr.list")), 5u);  // and lo's 127.0.0.1/8 and ::1/128
    ASSERT_EQ(config["interface"].size(), 2u) << config.dump();
    EXPECT_EQ(config["interface"][0]["addresses"], json({"10.0.0.7/24", "10.0.5.1/24"}));
    ASSERT_EQ(config["route"].size(), 1u);
    EXPECT_EQ(config["route"][0]["if"], "eth0");
    bool routed = false;
    const auto routes = d.ok("route.list");
    for (const auto& r : routes["routes"])
        routed |= r["dst"] == "192.168.0.0/16";
    EXPECT_TRUE(routed) << routes.dump();

    // A broken file is reported with its line and changes nothing.
    write_file(file, head + "addresses = [\"10.0.0.1/24\"]\nmtu = 12\n");
    d.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] {
        return d.log().find("keeping the running") != std::string::npos;
    })) << d.log();
    EXPECT_NE(d.log().find(file + ":8: interface.mtu must be in 68..65535"), std::string::npos)
        << d.log();
    EXPECT_EQ(d.ok("config")["interface"].size(), 2u);

    // Back to the first file: eth1 and the route go, the address returns.
    write_file(file, head + "addresses = [\"10.0.0.1/24\"]\n");
    d.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] {
        config = d.ok("config");
        return config["interface"].size() == 1 && config["route"].empty() &&
               config["interface"][0]["addresses"] == json({"10.0.0.1/24"});
    })) << config.dump()
        << d.log();
    EXPECT_EQ(d.stop(SIGTERM), 0);
}

TEST_F(DaemonTest, SighupKeepsCommandLineOverrides) {
    const auto file = dir.file("o.toml");
    write_file(file,
               "[daemon]\nworkers = 2\nlog_level = \"warn\"\n\n[[interface]]\nname = "
               "\"eth0\"\nbus = \"" +
                   bus + "\"\naddresses = [\"10.0.0.1/24\"]\n");
    DaemonProcess d(dir.path(), "o", {"--config", file, "--workers", "1", "-l", "info"});
    ASSERT_TRUE(d.wait_ready()) << d.log();
    d.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] {
        return d.log().find("reload: nothing changed") != std::string::npos;
    })) << d.log();
    // Neither the socket nor the workers count as changed, and -l still wins over the file.
    EXPECT_EQ(d.log().find("changed; it takes effect"), std::string::npos) << d.log();
    const auto daemon = d.ok("config")["daemon"];
    EXPECT_EQ(daemon["workers"], 1) << daemon.dump();
    EXPECT_EQ(daemon["log_level"], "info") << daemon.dump();
    EXPECT_EQ(daemon["socket"], d.socket()) << daemon.dump();
    EXPECT_EQ(d.stop(SIGTERM), 0);
}

// A NOTIFY_SOCKET as systemd provides one: a datagram socket the daemon reports to.
class NotifySocket {
  public:
    explicit NotifySocket(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // Messages until one contains `what` (true) or 10 s pass (false).
    bool wait_for(const std::string& what) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char buffer[4096];
            const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) return false;
            const std::string message(buffer, static_cast<std::size_t>(n));
            seen += message + "|";
            if (message.find(what) != std::string::npos) return true;
        }
    }
    std::string seen;

  private:
    int fd_;
};

TEST_F(DaemonTest, TellsSystemdReadyReloadingStopping) {
    NotifySocket notify(dir.file("notify.sock"));
    const auto file = dir.file("n.toml");
    write_file(file, "[[interface]]\nname = \"eth0\"\nbus = \"" + bus +
                         "\"\naddresses = [\"10.0.0.1/24\"]\n");
    // JOURNAL_STREAM inherited from elsewhere: stderr is not that stream, so logs stay there.
    DaemonProcess d(dir.path(), "n", {"--config", file, "--workers", "1"},
                    {"NOTIFY_SOCKET=" + dir.file("notify.sock"), "JOURNAL_STREAM=1:1"});
    EXPECT_TRUE(notify.wait_for("READY=1")) << notify.seen << d.log();
    d.signal(SIGHUP);
    EXPECT_TRUE(notify.wait_for("RELOADING=1")) << notify.seen;
    EXPECT_TRUE(notify.wait_for("READY=1")) << notify.seen;
    d.signal(SIGTERM);
    EXPECT_TRUE(notify.wait_for("STOPPING=1")) << notify.seen;
    EXPECT_EQ(d.stop(SIGTERM), 0);
    EXPECT_NE(d.log().find("reload: nothing changed"), std::string::npos) << d.log();
}

TEST_F(DaemonTest, ConfigErrorsNameTheLine) {
    const auto file = dir.file("bad.toml");
    write_file(file,
               "[daemon]\nworkers = 1\n\n[[interface]]\nname = \"eth0\"\nbus = \"/tmp/x.bus\"\n"
               "adresses = [\"10.0.0.1/24\"]\n");
    const auto log = dir.file("bad.log");
    const pid_t pid = spawn({SHMIFD_BIN, "--config", file}, log);
    auto status = wait_exit(pid, 10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 2);
    EXPECT_NE(read_file(log).find(file + ":7: unknown key interface.adresses"), std::string::npos)
        << read_file(log);
}

TEST_F(DaemonTest, UnusableBusFailsStartWithStatusOne) {
    // A plain file where the bus's directory should be.
    write_file(dir.file("plain"), "");
    const auto log = dir.file("nobus.log");
    const pid_t pid = spawn({SHMIFD_BIN, "--bus", dir.file("plain") + "/y.bus", "--socket",
                             dir.file("n.sock"), "--workers", "1"},
                            log);
    auto status = wait_exit(pid, 10s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 1) << read_file(log);
    EXPECT_NE(read_file(log).find("y.bus"), std::string::npos) << read_file(log);
    EXPECT_FALSE(std::filesystem::exists(dir.file("n.sock")));
}

// Workers are pinned, a CPU each, unless --no-pin (or [daemon] pin_workers = false) leaves
// them to the scheduler; `stats` says where each one is (-1: not pinned).
TEST_F(DaemonTest, WorkersArePinnedUnlessNoPinLeavesThemToTheScheduler) {
    auto args = DaemonProcess::quick(bus, "10.0.0.1/24", 2);
    args.push_back("--no-pin");
    DaemonProcess unpinned(dir.path(), "u", args);
    ASSERT_TRUE(unpinned.wait_ready()) << unpinned.log();
    auto pinned = start("p", "10.0.0.2/24");
    // A worker pins itself when its loop starts: look until both daemons' workers have.
    json u, p;
    for (int i = 0; i < 100; ++i) {
        u = unpinned.ok("stats")["workers"];
        p = pinned->ok("stats")["workers"];
        if (std::ranges::all_of(p, [](const json& w) { return w["cpu"].get<int>() >= 0; })) break;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(u.size(), 2u);
    for (const auto& w : u)
        EXPECT_EQ(w["cpu"].get<int>(), -1) << "--no-pin: " << u.dump();
    if (pinned->log().find("cannot pin") != std::string::npos)
        GTEST_SKIP() << "this machine forbids pinning (a cpuset?): " << pinned->log();
    for (const auto& w : p)
        EXPECT_GE(w["cpu"].get<int>(), 0) << "pinned by default: " << p.dump();
}

}  // namespace
}  // namespace shmifd::test
