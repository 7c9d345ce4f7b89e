// shmifctl as a real process against control_fake_daemon (canned replies): the request each
// command sends, its human and --json output, and exit statuses 0/1/2/3.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "control_test_util.hpp"

extern char** environ;

namespace shmifd::control::test {
namespace {

using nlohmann::json;

const json kIface = {
    {"name", "eth0"}, {"bus", "/dev/shm/bus0"}, {"mac", "02:00:00:00:00:01"},  {"mtu", 1500},
    {"up", true},     {"promisc", false},       {"addresses", {"10.0.0.1/24"}}};

json canned_replies() {
    const auto ok = [](json result) { return json{{"result", std::move(result)}}; };
    const auto error = [](const char* code, const char* message) {
        return json{{"error", {{"code", code}, {"message", message}}}};
    };
    return json{
        {"version", ok({{"daemon", "0.1.0"}, {"protocol", 1}})},
        {"if.list", ok({{"interfaces", {kIface}}})},
        {"if.add", ok(kIface)},
        {"if.del", error("not_found", "no interface eth9")},
        {"if.up", ok(json::object())},
        {"if.down", ok(json::object())},
        {"addr.list", ok({{"addresses", {{{"if", "eth0"}, {"addr", "10.0.0.1/24"}}}}})},
        {"addr.add", ok(json::object())},
        {"addr.del", error("not_found", "eth0 has no address 10.0.0.9/24")},
        {"route.list",
         ok({{"routes",
              {{{"dst", "0.0.0.0/0"}, {"via", "10.0.0.254"}, {"if", "eth0"}, {"metric", 0}},
               {{"dst", "10.0.0.0/24"}, {"if", "eth0"}, {"metric", 5}}}}})},
        {"route.add", ok(json::object())},
        {"route.del", error("busy", "another reconfiguration holds the workers")},
        {"neigh.list", ok({{"neighbours",
                            {{{"if", "eth0"},
                              {"addr", "10.0.0.2"},
                              {"mac", "02:00:00:00:00:02"},
                              {"state", "reachable"},
                              {"expires_ms", 29000},
                              {"worker", 1}}}}})},
        {"neigh.flush", ok(json::object())},
        {"ping",
         ok({{"sent", 3},
             {"received", 2},
             {"replies",
              {{{"seq", 1}, {"from", "10.0.0.2"}, {"rtt_us", 120}, {"ttl", 64}, {"size", 64}},
               {{"seq", 3}, {"from", "10.0.0.2"}, {"rtt_us", 80}, {"ttl", 64}, {"size", 64}}}},
             {"rtt_min_us", 80},
             {"rtt_avg_us", 100},
             {"rtt_max_us", 120}})},
        {"udp.send", ok({{"sent", 5}, {"from", "10.0.0.1:49152"}})},
        {"udp.recv",
         ok({{"datagrams", {{{"from", "10.0.0.2:9"}, {"data", "hello"}, {"size", 5}}}}})},
        {"stats", ok({{"interfaces", {{{"name", "eth0"}, {"rx_frames", 10}, {"tx_frames", 12}}}},
                      {"workers", {{{"id", 0}, {"cpu", 1}, {"work", 22}}}},
                      {"stack", {{"ipv4", {{"rx_packets", 7}}}, {"udp", {{"no_port", 1}}}}}})},
        {"bus.stats",
         ok({{"buses", {{{"if", "eth0"}, {"path", "/dev/shm/bus0"}, {"lost_frames", 3}}}}})},
        {"config", ok({{"interfaces", {{{"name", "eth0"}}}}})},
    };
}

// A control_fake_daemon child process serving `replies` on `socket`.
class FakeDaemon {
  public:
    FakeDaemon(const std::string& socket, const json& replies, const std::string& dir)
        : socket_(socket), log_(dir + "/requests.log") {
        const std::string replies_path = dir + "/replies.json";
        std::ofstream(replies_path) << replies.dump();
        std::vector<std::string> argv = {FAKE_DAEMON_BIN, socket, replies_path, log_};
        std::vector<char*> args;
        for (auto& arg : argv)
            args.push_back(arg.data());
        args.push_back(nullptr);
        if (::posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0)
            throw std::runtime_error("cannot start control_fake_daemon");
        for (int i = 0; i < 500; ++i) {  // up to 5 s for the socket to answer
            if (ControlClient::connect(socket_, 100ms)) return;
            std::this_thread::sleep_for(10ms);
        }
        throw std::runtime_error("control_fake_daemon did not come up");
    }
    ~FakeDaemon() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(10ms);
        if (::waitpid(pid_, &status, WNOHANG) == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
    }
    // The last request logged, as {"cmd", "args"}.
    json last_request() const {
        std::ifstream in(log_);
        std::string line, last;
        while (std::getline(in, line))
            last = line;
        return json::parse(last, nullptr, false);
    }
    const std::string& socket() const { return socket_; }

  private:
    std::string socket_;
    std::string log_;
    pid_t pid_ = -1;
};

class Shmifctl : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new shmif::test::TempDir();
        daemon_ =
            new FakeDaemon(dir_->file("xdg/shmif/shmifd.sock"), canned_replies(), dir_->path());
    }
    static void TearDownTestSuite() {
        delete daemon_;
        EXPECT_FALSE(std::filesystem::exists(dir_->file("xdg/shmif/shmifd.sock")))
            << "the daemon left its socket behind";
        delete dir_;
    }

    // shmifctl -s SOCKET ARGS...
    static ProcessResult ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {SHMIFCTL_BIN, "-s", daemon_->socket()});
        return run_process(args);
    }
    static json last_request() { return daemon_->last_request(); }

    static shmif::test::TempDir* dir_;
    static FakeDaemon* daemon_;
};

shmif::test::TempDir* Shmifctl::dir_ = nullptr;
FakeDaemon* Shmifctl::daemon_ = nullptr;

std::string fmt_args(const std::vector<std::string>& argv) {
    std::string text = "shmifctl";
    for (const auto& arg : argv)
        text += " " + arg;
    return text;
}

struct Case {
    std::vector<std::string> argv;
    json request;                    // {"cmd", "args"} the daemon must receive
    std::vector<std::string> human;  // substrings of the human output
    int exit_code = 0;
};

TEST_F(Shmifctl, EveryCommandSendsItsRequestAndPrintsItsResult) {
    const std::vector<Case> cases = {
        {{"version"},
         {{"cmd", "version"}, {"args", json::object()}},
         {"shmifd 0.1.0 (protocol 1)"}},
        {{"if", "list"},
         {{"cmd", "if.list"}, {"args", json::object()}},
         {"NAME", "eth0  /dev/shm/bus0  02:00:00:00:00:01  1500  UP", "10.0.0.1/24"}},
        {{"if", "add", "eth0", "/dev/shm/bus0", "--mac", "02:00:00:00:00:01", "--mtu", "1500",
          "--format", "netbsd", "--promisc"},
         {{"cmd", "if.add"},
          {"args",
           {{"name", "eth0"},
            {"bus", "/dev/shm/bus0"},
            {"mac", "02:00:00:00:00:01"},
            {"mtu", 1500},
            {"format", "netbsd"},
            {"promisc", true}}}},
         {"eth0"}},
        {{"if", "add", "eth1", "/b", "--no-create"},
         {{"cmd", "if.add"}, {"args", {{"name", "eth1"}, {"bus", "/b"}, {"create", false}}}},
         {"eth0"}},
        {{"if", "up", "eth0"}, {{"cmd", "if.up"}, {"args", {{"name", "eth0"}}}}, {}},
        {{"if", "down", "eth0"}, {{"cmd", "if.down"}, {"args", {{"name", "eth0"}}}}, {}},
        {{"addr", "add", "eth0", "10.0.0.1/24"},
         {{"cmd", "addr.add"}, {"args", {{"if", "eth0"}, {"addr", "10.0.0.1/24"}}}},
         {}},
        {{"addr", "list"},
         {{"cmd", "addr.list"}, {"args", json::object()}},
         {"IF    ADDRESS", "eth0  10.0.0.1/24"}},
        {{"addr", "list", "eth0"}, {{"cmd", "addr.list"}, {"args", {{"if", "eth0"}}}}, {"eth0"}},
        {{"route", "add", "default", "via", "10.0.0.254"},
         {{"cmd", "route.add"}, {"args", {{"dst", "default"}, {"via", "10.0.0.254"}}}},
         {}},
        {{"route", "add", "10.1.0.0/16", "dev", "eth0", "metric", "7"},
         {{"cmd", "route.add"}, {"args", {{"dst", "10.1.0.0/16"}, {"if", "eth0"}, {"metric", 7}}}},
         {}},
        {{"route", "list"},
         {{"cmd", "route.list"}, {"args", json::object()}},
         {"DESTINATION", "0.0.0.0/0    10.0.0.254  eth0  0", "10.0.0.0/24  -           eth0  5"}},
        {{"neigh", "list"},
         {{"cmd", "neigh.list"}, {"args", json::object()}},
         {"10.0.0.2", "02:00:00:00:00:02", "reachable", "29000"}},
        {{"neigh", "flush", "eth0"}, {{"cmd", "neigh.flush"}, {"args", {{"if", "eth0"}}}}, {}},
        {{"ping", "-c", "3", "-s", "100", "-i", "0.2", "-W", "2", "10.0.0.2"},
         {{"cmd", "ping"},
          {"args",
           {{"addr", "10.0.0.2"},
            {"count", 3},
            {"size", 100},
            {"interval_ms", 200},
            {"timeout_ms", 2000}}}},
         {"PING 10.0.0.2: 100 data bytes",
          "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.120 ms",
          "3 packets transmitted, 2 received, 33% packet loss",
          "rtt min/avg/max = 0.080/0.100/0.120 ms"}},
        {{"udp", "send", "10.0.0.2:9", "hello", "--from-port", "4000"},
         {{"cmd", "udp.send"},
          {"args", {{"to", "10.0.0.2:9"}, {"data", "hello"}, {"from_port", 4000}}}},
         {"sent 5 bytes from 10.0.0.1:49152"}},
        {{"udp", "recv", "9", "--count", "2", "--timeout", "300"},
         {{"cmd", "udp.recv"}, {"args", {{"port", 9}, {"count", 2}, {"timeout_ms", 300}}}},
         {"from 10.0.0.2:9 (5 bytes): hello"}},
        {{"stats"},
         {{"cmd", "stats"}, {"args", json::object()}},
         {"rx_frames", "ipv4.rx_packets 7", "udp.no_port 1", "Workers:"}},
        {{"bus", "stats", "eth0"},
         {{"cmd", "bus.stats"}, {"args", {{"if", "eth0"}}}},
         {"lost_frames", "/dev/shm/bus0"}},
        {{"config"}, {{"cmd", "config"}, {"args", json::object()}}, {"\"interfaces\""}},
    };
    for (const auto& c : cases) {
        const std::string what = fmt_args(c.argv);
        const auto result = ctl(c.argv);
        EXPECT_EQ(result.exit_code, c.exit_code) << what << "\n" << result.err;
        EXPECT_EQ(last_request(), c.request) << what;
        for (const auto& text : c.human)
            EXPECT_NE(result.out.find(text), std::string::npos)
                << what << ": no \"" << text << "\" in\n"
                << result.out;
        EXPECT_TRUE(result.err.empty()) << what << ": " << result.err;
    }
}

TEST_F(Shmifctl, JsonPrintsTheResultObject) {
    const json replies = canned_replies();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"version"}, "version"},
        {{"if", "list"}, "if.list"},
        {{"if", "add", "eth0", "/b"}, "if.add"},
        {{"if", "up", "eth0"}, "if.up"},
        {{"route", "list"}, "route.list"},
        {{"neigh", "list", "eth0"}, "neigh.list"},
        {{"ping", "10.0.0.2"}, "ping"},
        {{"udp", "recv", "9"}, "udp.recv"},
        {{"stats"}, "stats"},
        {{"bus", "stats"}, "bus.stats"},
        {{"config"}, "config"},
    };
    for (const auto& [argv, cmd] : cases) {
        std::vector<std::string> args = {"--json"};
        args.insert(args.end(), argv.begin(), argv.end());
        const auto result = ctl(args);
        EXPECT_EQ(result.exit_code, 0) << cmd << ": " << result.err;
        EXPECT_EQ(json::parse(result.out, nullptr, false), replies[cmd]["result"]) << cmd;
    }
}

TEST_F(Shmifctl, DefaultsOfPingAndUdpRecv) {
    EXPECT_EQ(ctl({"ping", "10.0.0.2"}).exit_code, 0);
    EXPECT_EQ(last_request()["args"], (json{{"addr", "10.0.0.2"},
                                            {"count", 1},
                                            {"size", 56},
                                            {"interval_ms", 1000},
                                            {"timeout_ms", 1000}}));
    EXPECT_EQ(ctl({"udp", "recv", "9"}).exit_code, 0);
    EXPECT_EQ(last_request()["args"], (json{{"port", 9}, {"count", 1}, {"timeout_ms", 1000}}));
}

TEST_F(Shmifctl, ErrorRepliesExitOneWithOneLine) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"if", "del", "eth9"}, "shmifctl: not_found: no interface eth9\n"},
        {{"addr", "del", "eth0", "10.0.0.9/24"},
         "shmifctl: not_found: eth0 has no address 10.0.0.9/24\n"},
        {{"route", "del", "default"},
         "shmifctl: busy: another reconfiguration holds the workers\n"},
        {{"--json", "if", "del", "eth9"}, "shmifctl: not_found: no interface eth9\n"},
    };
    for (const auto& [argv, err] : cases) {
        const auto result = ctl(argv);
        EXPECT_EQ(result.exit_code, 1) << fmt_args(argv);
        EXPECT_EQ(result.err, err) << fmt_args(argv);
        EXPECT_TRUE(result.out.empty()) << fmt_args(argv);
    }
}

TEST_F(Shmifctl, UsageErrorsExitTwoWithoutTalkingToTheDaemon) {
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"frobnicate"},
        {"if"},
        {"if", "add", "eth0"},
        {"if", "add", "eth0", "/b", "--mtu", "10"},
        {"if", "add", "eth0", "/b", "--format", "pcap"},
        {"addr", "add", "eth0"},
        {"route", "add"},
        {"route", "add", "default", "via"},
        {"route", "add", "default", "through", "10.0.0.1"},
        {"route", "add", "default", "metric", "ten"},
        {"ping"},
        {"ping", "-c", "0", "10.0.0.2"},
        {"ping", "-s", "70000", "10.0.0.2"},
        {"udp", "send", "10.0.0.2:9"},
        {"udp", "recv", "0"},
        {"--timeout", "0", "version"},
    };
    ctl({"neigh", "flush"});  // a marker: usage errors must not reach the daemon
    for (const auto& argv : cases) {
        const auto result = ctl(argv);
        EXPECT_EQ(result.exit_code, 2) << fmt_args(argv) << "\n" << result.err;
        EXPECT_FALSE(result.err.empty()) << fmt_args(argv);
    }
    EXPECT_EQ(last_request()["cmd"], "neigh.flush");
    const auto help = ctl({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Exit status"), std::string::npos);
}

TEST_F(Shmifctl, SocketFromTheEnvironment) {
    const auto by_env = run_process({SHMIFCTL_BIN, "version"},
                                    {"SHMIFD_SOCKET=" + daemon_->socket(), "XDG_RUNTIME_DIR="});
    EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
    const auto by_xdg = run_process({SHMIFCTL_BIN, "version"},
                                    {"SHMIFD_SOCKET=", "XDG_RUNTIME_DIR=" + dir_->file("xdg")});
    EXPECT_EQ(by_xdg.exit_code, 0) << by_xdg.err;
}

TEST_F(Shmifctl, UnreachableDaemonExitsThree) {
    shmif::test::TempDir dir;
    // No socket at all.
    auto missing = run_process({SHMIFCTL_BIN, "-s", dir.file("none.sock"), "version"});
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_NE(missing.err.find("cannot reach shmifd"), std::string::npos) << missing.err;
    // A stale socket: nobody listening.
    const std::string stale = dir.file("stale.sock");
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, stale.c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(run_process({SHMIFCTL_BIN, "-s", stale, "version"}).exit_code, 3);
    // Listening but never answering: the reply times out.
    ASSERT_EQ(::listen(fd, 4), 0);
    const auto start = std::chrono::steady_clock::now();
    auto silent = run_process({SHMIFCTL_BIN, "-s", stale, "--timeout", "300", "version"});
    EXPECT_EQ(silent.exit_code, 3);
    EXPECT_NE(silent.err.find("no reply in time"), std::string::npos) << silent.err;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    ::close(fd);
}

TEST_F(Shmifctl, PingWithoutRepliesExitsOne) {
    shmif::test::TempDir dir;
    json replies = canned_replies();
    replies["ping"]["result"] = {{"sent", 2}, {"received", 0}, {"replies", json::array()}};
    FakeDaemon lonely(dir.file("p.sock"), replies, dir.path());
    const auto result = run_process(
        {SHMIFCTL_BIN, "-s", lonely.socket(), "ping", "-c", "2", "-i", "0.01", "10.9.9.9"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.out.find("2 packets transmitted, 0 received, 100% packet loss"),
              std::string::npos)
        << result.out;
}

}  // namespace
}  // namespace shmifd::control::test
