// shmifctl as a real process against control_fake_daemon (canned replies): the request each
// command sends, its human and --json output, and exit statuses 0/1/2/3.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

TEST_F(Shmifctl, UnknownCommandsNameThemselvesAndTheValidOnes) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"frobnicate"},
         "shmifctl: unknown command 'frobnicate'; valid commands: version, stats, config, bus, "
         "if, addr, route, neigh, ping, udp"},
        {{"--timeout", "100", "frobnicate"}, "unknown command 'frobnicate'; valid commands: "},
        {{"if", "frob"},
         "shmifctl: unknown command 'if frob'; valid commands after 'if': add, del, up, down, "
         "list"},
        {{"udp"}, "shmifctl: missing command after 'udp'; valid commands: send, recv"},
        {{}, "shmifctl: missing command; valid commands: version,"},
    };
    for (const auto& [argv, err] : cases) {
        const auto result = ctl(argv);
        EXPECT_EQ(result.exit_code, 2) << fmt_args(argv);
        EXPECT_NE(result.err.find(err), std::string::npos) << fmt_args(argv) << "\n" << result.err;
    }
}

// Payload bytes never change: argv bytes and --hex/--base64 DATA become the same request
// (data when valid UTF-8, else data_base64); bad --hex/--base64 text is a usage error.
TEST_F(Shmifctl, UdpSendCarriesBytesExactly) {
    const json binary = {{"to", "10.0.0.2:9"}, {"data_base64", "//4="}};
    for (const auto& argv :
         std::vector<std::vector<std::string>>{{"udp", "send", "10.0.0.2:9", "\xff\xfe"},
                                               {"udp", "send", "10.0.0.2:9", "fffe", "--hex"},
                                               {"udp", "send", "10.0.0.2:9", "FFFE", "--hex"},
                                               {"udp", "send", "10.0.0.2:9", "//4=", "--base64"}}) {
        EXPECT_EQ(ctl(argv).exit_code, 0) << fmt_args(argv);
        EXPECT_EQ(last_request()["args"], binary) << fmt_args(argv);
    }
    EXPECT_EQ(ctl({"udp", "send", "10.0.0.2:9", "68c3a9", "--hex"}).exit_code, 0);
    EXPECT_EQ(last_request()["args"], (json{{"to", "10.0.0.2:9"}, {"data", "h\u00e9"}}));
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"udp", "send", "10.0.0.2:9", "fff", "--hex"},
             {"udp", "send", "10.0.0.2:9", "0xff", "--hex"},
             {"udp", "send", "10.0.0.2:9", "//4", "--base64"},
             {"udp", "send", "10.0.0.2:9", "ff", "--hex", "--base64"}}) {
        const auto result = ctl(argv);
        EXPECT_EQ(result.exit_code, 2) << fmt_args(argv);
        EXPECT_FALSE(result.err.empty()) << fmt_args(argv);
    }
}

TEST_F(Shmifctl, UdpRecvShowsBytesExactly) {
    shmif::test::TempDir dir;
    json replies = canned_replies();
    replies["udp.recv"]["result"] = {
        {"datagrams",
         {{{"from", "10.0.0.2:9"}, {"data_base64", "//4="}, {"size", 2}},
          {{"from", "10.0.0.2:9"}, {"data", "a\nb"}, {"data_base64", "YQpi"}, {"size", 3}},
          {{"from", "10.0.0.2:9"}, {"data", "h\u00e9"}, {"data_base64", "aMOp"}, {"size", 3}}}},
        {"truncated", false}};
    FakeDaemon binary(dir.file("b.sock"), replies, dir.path());
    const auto recv = [&](std::vector<std::string> tail) {
        std::vector<std::string> argv = {SHMIFCTL_BIN, "-s", binary.socket(), "udp", "recv", "9"};
        argv.insert(argv.end(), tail.begin(), tail.end());
        return run_process(argv);
    };
    const auto text = recv({});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out,
              "from 10.0.0.2:9 (2 bytes, hex): fffe\n"
              "from 10.0.0.2:9 (3 bytes, hex): 610a62\n"
              "from 10.0.0.2:9 (3 bytes): h\u00e9\n");
    EXPECT_EQ(recv({"--hex"}).out,
              "from 10.0.0.2:9 (2 bytes, hex): fffe\n"
              "from 10.0.0.2:9 (3 bytes, hex): 610a62\n"
              "from 10.0.0.2:9 (3 bytes, hex): 68c3a9\n");
    EXPECT_EQ(recv({"--base64"}).out,
              "from 10.0.0.2:9 (2 bytes, base64): //4=\n"
              "from 10.0.0.2:9 (3 bytes, base64): YQpi\n"
              "from 10.0.0.2:9 (3 bytes, base64): aMOp\n");
    const auto as_json =
        run_process({SHMIFCTL_BIN, "-s", binary.socket(), "--json", "udp", "recv", "9", "--hex"});
    EXPECT_EQ(json::parse(as_json.out, nullptr, false), replies["udp.recv"]["result"]);
}

// The exit contract (README.md "Exit status"), every kind of outcome in both output modes:
// 0 done, 1 failed or nothing received, 2 usage, 3 unreachable; with --json stdout is always
// one JSON object, the result or {"error": {"code", "message"}}.
TEST_F(Shmifctl, ExitContractHoldsInBothModes) {
    shmif::test::TempDir empty_dir;
    json empty_replies = canned_replies();
    empty_replies["ping"]["result"] = {{"sent", 2}, {"received", 0}, {"replies", json::array()}};
    empty_replies["udp.recv"]["result"] = {{"datagrams", json::array()}, {"truncated", false}};
    FakeDaemon empty(empty_dir.file("e.sock"), empty_replies, empty_dir.path());
    const std::string nowhere = empty_dir.file("nobody.sock");

    struct Row {
        std::string socket;
        std::vector<std::string> argv;
        int exit_code;
        std::string code;  // the JSON error code; empty: success, stdout is the result
        std::string text;  // in the human output (stdout), or "" for nothing
    };
    const std::string& full = daemon_->socket();
    const std::vector<Row> table = {
        {full, {"version"}, 0, "", "shmifd 0.1.0"},
        {full, {"if", "list"}, 0, "", "eth0"},
        {full, {"if", "add", "eth0", "/b"}, 0, "", "eth0"},
        {full, {"if", "up", "eth0"}, 0, "", ""},
        {full, {"if", "down", "eth0"}, 0, "", ""},
        {full, {"addr", "add", "eth0", "10.0.0.1/24"}, 0, "", ""},
        {full, {"addr", "list"}, 0, "", "10.0.0.1/24"},
        {full, {"route", "add", "default", "via", "10.0.0.254"}, 0, "", ""},
        {full, {"route", "list"}, 0, "", "10.0.0.254"},
        {full, {"neigh", "list"}, 0, "", "reachable"},
        {full, {"neigh", "flush"}, 0, "", ""},
        {full, {"ping", "10.0.0.2"}, 0, "", "2 received"},
        {full, {"udp", "send", "10.0.0.2:9", "x"}, 0, "", "sent 5 bytes"},
        {full, {"udp", "recv", "9"}, 0, "", "hello"},
        {full, {"stats"}, 0, "", "Workers:"},
        {full, {"bus", "stats"}, 0, "", "lost_frames"},
        {full, {"config"}, 0, "", "interfaces"},
        {full, {"if", "del", "eth9"}, 1, "not_found", ""},
        {full, {"addr", "del", "eth0", "10.0.0.9/24"}, 1, "not_found", ""},
        {full, {"route", "del", "default"}, 1, "busy", ""},
        {empty.socket(), {"ping", "-c", "2", "10.9.9.9"}, 1, "no_reply", "100% packet loss"},
        {empty.socket(),
         {"udp", "recv", "9", "--timeout", "10"},
         1,
         "nothing_received",
         "no datagram"},
        {full, {"frobnicate"}, 2, "usage", ""},
        {full, {"ping"}, 2, "usage", ""},
        {full, {"udp", "send", "10.0.0.2:9", "f", "--hex"}, 2, "usage", ""},
        {nowhere, {"version"}, 3, "unreachable", ""},
        {nowhere, {"udp", "recv", "9"}, 3, "unreachable", ""},
    };
    for (const auto& row : table) {
        for (const bool json_mode : {false, true}) {
            std::vector<std::string> argv = {SHMIFCTL_BIN, "-s", row.socket};
            if (json_mode) argv.push_back("--json");
            argv.insert(argv.end(), row.argv.begin(), row.argv.end());
            const std::string what = fmt_args(argv) + (json_mode ? " (json)" : " (text)");
            const auto result = run_process(argv);
            EXPECT_EQ(result.exit_code, row.exit_code) << what << "\n" << result.err;
            if (row.code.empty()) {
                EXPECT_TRUE(result.err.empty()) << what << ": " << result.err;
            } else {
                // One line on stderr in both modes, naming the code (usage errors: the text).
                EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
                    << what << ": " << result.err;
                if (row.code != "usage") {
                    EXPECT_NE(result.err.find("shmifctl: " + row.code + ": "), std::string::npos)
                        << what << ": " << result.err;
                }
            }
            if (json_mode) {
                const json out = json::parse(result.out, nullptr, false);
                ASSERT_TRUE(out.is_object()) << what << ": " << result.out;
                if (row.code.empty()) {
                    EXPECT_FALSE(out.contains("error")) << what;
                } else {
                    EXPECT_EQ(out["error"]["code"], row.code) << what << ": " << result.out;
                    EXPECT_TRUE(out["error"]["message"].is_string()) << what;
                }
            } else if (!row.text.empty()) {
                EXPECT_NE(result.out.find(row.text), std::string::npos) << what << "\n"
                                                                        << result.out;
            }
        }
    }
    // A ping without reply keeps its counts in the JSON error.
    const auto ping =
        run_process({SHMIFCTL_BIN, "-s", empty.socket(), "--json", "ping", "10.9.9.9"});
    EXPECT_EQ(json::parse(ping.out, nullptr, false)["result"]["sent"], 2) << ping.out;
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
