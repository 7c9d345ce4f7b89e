// shmiflab's [[link]] and [[capture]] as a user runs them: the real shmiflab starting the real
// shmiflink, shmifdump and shmifd on examples/labs/lossy-wan.toml in a temporary directory;
// the captures read back by the real tcpdump (and tshark). Every wait is bounded, and a test
// that fails still leaves no process behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "lab_runner.hpp"
#include "node_control.hpp"
#include "processes.hpp"
#include "shmifd_path.hpp"

namespace shmiflab {
namespace {

using namespace test;

const std::string kLossyWan = std::string(SHMIFLAB_EXAMPLES) + "/lossy-wan.toml";

class LabLinksTest : public LabRunner {
  protected:
    LabLinksTest()
        : LabRunner(
              {{"SHMIFLAB_SHMIFLINK", SHMIFLINK_BIN}, {"SHMIFLAB_SHMIFDUMP", SHMIFDUMP_BIN}}) {}

    // The frames tcpdump reads in `file`, one line each (the test fails if it cannot).
    std::string tcpdump(const std::string& file, const std::string& filter = "") {
        std::vector<std::string> argv{find_in_path("tcpdump").value_or(""), "-n", "-r", file};
        if (!filter.empty()) argv.push_back(filter);
        const auto ran = run(argv, {}, 30s);
        EXPECT_EQ(ran.status, 0) << "tcpdump -r " << file << ": " << ran.output;
        std::string frames;  // without its "reading from file ..." on stderr
        for (const auto& line : lines_of(ran.output))
            if (!line.starts_with("reading from file")) frames += line + "\n";
        return frames;
    }
};

// The lossy WAN comes up with its link and captures attached, every node reaches every
// other through the link, a round trip across it takes both delays, and `down` stops it all,
// captures last, leaving files tcpdump reads.
TEST_F(LabLinksTest, LossyWanUpPingDownAndItsCaptures) {
    ASSERT_NO_FATAL_FAILURE(up(kLossyWan, "lossy-wan"));

    auto status = shmiflab({"status", "lossy-wan", "--json"});
    ASSERT_EQ(status.status, 0) << status.output;
    const auto json = nlohmann::json::parse(status.output);
    ASSERT_EQ(json["links"].size(), 1u) << json.dump();
    const auto& link = json["links"][0];
    EXPECT_EQ(link["a"], "wan1");
    EXPECT_EQ(link["b"], "wan2");
    EXPECT_EQ(link["a_to_b"], "delay 25ms 2ms loss 2%");
    EXPECT_EQ(link["b_to_a"], "delay 25ms 2ms loss 2%");
    EXPECT_EQ(link["seed"], 16);
    EXPECT_TRUE(link["alive"].get<bool>()) << link.dump();
    ASSERT_EQ(json["captures"].size(), 2u) << json.dump();
    for (const auto& capture : json["captures"]) {
        EXPECT_TRUE(capture["alive"].get<bool>()) << capture.dump();
        EXPECT_TRUE(capture["pid"].is_number()) << capture.dump();
    }
    EXPECT_EQ(json["captures"][0]["file"], lab_file("lossy-wan", "wan1.pcap"));
    EXPECT_EQ(json["captures"][1]["file"], lab_file("lossy-wan", "wan2-icmp.pcapng"));
    EXPECT_EQ(json["captures"][1]["filter"], "icmp");
    auto text = shmiflab({"status", "lossy-wan"});
    EXPECT_EQ(text.status, 0) << text.output;
    EXPECT_NE(text.output.find("wan1 - wan2  'delay 25ms 2ms loss 2%'"), std::string::npos)
        << text.output;

    auto ping = shmiflab({"ping-all", "lossy-wan", "--attempts", "5"});
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_NE(ping.output.find("18 of 18 addresses answered"), std::string::npos) << ping.output;
    std::cout << ping.output;

    // h1 to h2 crosses the link twice: 25 ms +- 2 ms each way.
    auto rtt = node_call(
        lab_file("lossy-wan", "h1.sock"), "ping",
        {{"addr", "10.2.0.10"}, {"count", 5}, {"interval_ms", 100}, {"timeout_ms", 2000}}, 30s);
    ASSERT_TRUE(rtt.has_value()) << rtt.error();
    std::cout << "h1 -> h2: " << rtt->dump() << "\n";
    ASSERT_GT(rtt->value("received", 0), 0) << rtt->dump();
    EXPECT_GE(rtt->value("rtt_min_us", 0.0), 40e3) << rtt->dump();

    // The capture grows while the lab runs.
    const auto bytes_up = nlohmann::json::parse(shmiflab({"status", "lossy-wan", "--json"}).output);
    EXPECT_GT(bytes_up["captures"][0]["bytes"].get<std::uint64_t>(), 24u) << bytes_up.dump();

    auto down = shmiflab({"down", "lossy-wan"});
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_NE(down.output.find("4 node(s) stopped, then 1 link(s) and 2 capture(s)"),
              std::string::npos)
        << down.output;
    std::erase(labs_, "lossy-wan");
    expect_no_process("lossy-wan");
    EXPECT_TRUE(files("lossy-wan", ".bus").empty());
    EXPECT_TRUE(files("lossy-wan", ".pid").empty());
    EXPECT_EQ(files("lossy-wan", ".log").size(), 7u);  // 4 nodes, 1 link, 2 captures
    const auto pcap = lab_file("lossy-wan", "wan1.pcap");
    const auto pcapng = lab_file("lossy-wan", "wan2-icmp.pcapng");
    ASSERT_TRUE(std::filesystem::exists(pcap));
    ASSERT_TRUE(std::filesystem::exists(pcapng));
    EXPECT_EQ(shmiflab({"status", "lossy-wan"}).status, 1);

    if (!find_in_path("tcpdump")) GTEST_SKIP() << "tcpdump not installed: captures not read";
    // Everything on wan1 from r1's first frame on: its IPv6 link-local address's DAD
    // solicitation and its IPv4 address probes as it starts (three, netstack's probe_count),
    // then the pings.
    const auto wan1 = tcpdump(pcap);
    const auto wan1_lines = lines_of(wan1);
    ASSERT_FALSE(wan1_lines.empty());
    EXPECT_TRUE(wan1_lines.front().find("ARP, Request who-has") != std::string::npos ||
                wan1_lines.front().find("neighbor solicitation") != std::string::npos)
        << wan1;
    EXPECT_EQ(count(wan1, "ARP, Request who-has 10.0.0.1 tell 0.0.0.0"), 3u) << wan1;
    EXPECT_GT(count(wan1, "ICMP echo request"), 0u) << wan1;
    EXPECT_GT(count(wan1, "ICMP echo reply"), 0u) << wan1;
    // Frames crossed the link both ways: r2's replies and h2's come in from wan2.
    EXPECT_NE(wan1.find("10.2.0.10 > 10.1.0.10: ICMP echo reply"), std::string::npos) << wan1;

    // The filtered pcapng holds ICMP and nothing else; its file was completed on SIGTERM.
    const auto wan2 = lines_of(tcpdump(pcapng));
    ASSERT_FALSE(wan2.empty());
    for (const auto& line : wan2)
        EXPECT_NE(line.find(": ICMP "), std::string::npos) << line;
    EXPECT_EQ(lines_of(tcpdump(pcapng, "not icmp")).size(), 0u);
    if (const auto tshark = find_in_path("tshark")) {
        const auto read =
            run({*tshark, "-r", pcapng, "-T", "fields", "-e", "frame.protocols"}, {}, 60s);
        EXPECT_EQ(read.status, 0) << read.output;
        EXPECT_GT(count(read.output, "eth:ethertype:ip:icmp"), 0u) << read.output;
    }
}

// A lab whose nodes died but whose link or capture still runs is still running: `up`
// refuses it, `down` stops what is left.
TEST_F(LabLinksTest, UpRefusesWhileALinkOrCaptureOfTheLabRuns) {
    ASSERT_NO_FATAL_FAILURE(up(kLossyWan, "lossy-wan"));
    for (const char* node : {"r1", "r2", "h1", "h2"}) {
        auto pid = pid_of("lossy-wan", std::string(node) + ".pid");
        ASSERT_TRUE(pid.has_value()) << node;
        ::kill(*pid, SIGKILL);
        EXPECT_TRUE(wait_until([&] { return !alive(*pid); }, 5s)) << node;
    }
    auto again = shmiflab({"up", kLossyWan});
    EXPECT_EQ(again.status, 1) << again.output;
    EXPECT_NE(again.output.find("already running"), std::string::npos) << again.output;
    EXPECT_NE(again.output.find("link wan1 - wan2"), std::string::npos) << again.output;
    EXPECT_EQ(shmiflab({"status", "lossy-wan"}).status, 1);  // the nodes are down

    auto down = shmiflab({"down", "lossy-wan"});
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_NE(down.output.find("0 node(s) stopped, then 1 link(s) and 2 capture(s)"),
              std::string::npos)
        << down.output;
    std::erase(labs_, "lossy-wan");
    expect_no_process("lossy-wan");
}

// One capture cannot start (a shmifdump that refuses its second file): the link and the
// first capture, started before it, are stopped again, no node was started.
TEST_F(LabLinksTest, ACaptureThatFailsStopsTheLinkAndCaptureStartedBefore) {
    const auto wrapper = dir_.file("shmifdump.sh");
    write_text_file(wrapper, fmt::format(R"(#!/bin/sh
case "$3" in */wan2-icmp.pcapng) echo "wrapper: no capture of wan2" >&2; exit 1;; esac
exec {} "$@"
)",
                                         SHMIFDUMP_BIN));
    ::chmod(wrapper.c_str(), 0755);
    take_down_at_end("lossy-wan");
    auto ran =
        shmiflab_with({{"SHMIFLAB_SHMIFDUMP", wrapper}}, {"up", kLossyWan, "--timeout", "120"});
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("capture of wan2 (wan2-icmp.pcapng): exited at start"),
              std::string::npos)
        << ran.output;
    EXPECT_NE(ran.output.find("wrapper: no capture of wan2"), std::string::npos) << ran.output;
    expect_no_process("lossy-wan");
    EXPECT_TRUE(files("lossy-wan", ".bus").empty());
    EXPECT_TRUE(files("lossy-wan", ".pid").empty());
    EXPECT_TRUE(files("lossy-wan", ".sock").empty());
    EXPECT_FALSE(std::filesystem::exists(lab_file("lossy-wan", "lab.toml")));
    // The link and the first capture were started (each has its log; whether either printed
    // its start-up line before the failure was seen is a race), no node was.
    EXPECT_TRUE(std::filesystem::exists(lab_file("lossy-wan", "link+wan1+wan2.log")));
    EXPECT_TRUE(std::filesystem::exists(lab_file("lossy-wan", "capture+wan1.pcap.log")));
    EXPECT_FALSE(std::filesystem::exists(lab_file("lossy-wan", "r1.log")));
}

// A node that fails to start, after the link and captures attached: all of them stop.
TEST_F(LabLinksTest, ANodeThatFailsStopsTheLinkAndCaptures) {
    const auto wrapper = dir_.file("shmifd.sh");
    write_text_file(wrapper, fmt::format(R"(#!/bin/sh
case "$2" in */h2.toml) echo "wrapper: h2 refuses to start" >&2; exit 1;; esac
exec {} "$@"
)",
                                         SHMIFD_BIN));
    ::chmod(wrapper.c_str(), 0755);
    take_down_at_end("lossy-wan");
    auto ran = shmiflab_with({{"SHMIFLAB_SHMIFD", wrapper}}, {"up", kLossyWan, "--timeout", "120"});
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("node h2:"), std::string::npos) << ran.output;
    EXPECT_NE(ran.output.find("h2 refuses to start"), std::string::npos) << ran.output;
    expect_no_process("lossy-wan");
    EXPECT_TRUE(files("lossy-wan", ".bus").empty());
    EXPECT_TRUE(files("lossy-wan", ".pid").empty());
    // The captures were stopped as `down` stops them: their files are whole.
    ASSERT_TRUE(std::filesystem::exists(lab_file("lossy-wan", "wan2-icmp.pcapng")));
    if (find_in_path("tcpdump")) tcpdump(lab_file("lossy-wan", "wan2-icmp.pcapng"));
}

// A shmiflink that is not there: `up` says so and starts nothing.
TEST_F(LabLinksTest, AMissingShmiflinkStartsNothing) {
    const auto missing = dir_.file("no-such-shmiflink");
    auto ran = shmiflab_with({{"SHMIFLAB_SHMIFLINK", missing}}, {"up", kLossyWan});
    EXPECT_EQ(ran.status, 2) << ran.output;
    EXPECT_NE(ran.output.find(missing + ": not an executable file"), std::string::npos)
        << ran.output;
    expect_no_process("lossy-wan");
    EXPECT_TRUE(files("lossy-wan", ".bus").empty());
}

}  // namespace
}  // namespace shmiflab
