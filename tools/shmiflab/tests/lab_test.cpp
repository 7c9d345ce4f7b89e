// shmiflab as a user runs it: the real binary bringing labs of real shmifd daemons up and
// down in a temporary directory, every wait bounded.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>

#include "lab_runner.hpp"

namespace shmiflab {
namespace {

using namespace test;

class LabTest : public LabRunner {
  protected:
    // down, then: no daemon left, no bus or socket file, the logs still there.
    void down_and_check(const std::string& name) {
        const auto started = pids(name);
        EXPECT_FALSE(started.empty());
        const auto ran = shmiflab({"down", name});
        EXPECT_EQ(ran.status, 0) << ran.output;
        expect_gone(started);
        EXPECT_TRUE(lab_processes(name).empty());
        EXPECT_TRUE(files(name, ".bus").empty());
        EXPECT_TRUE(files(name, ".sock").empty());
        EXPECT_TRUE(files(name, ".pid").empty());
        EXPECT_FALSE(files(name, ".log").empty());
        std::erase(labs_, name);
    }
};

class Examples : public LabTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(Examples, UpPingAllStatusDown) {
    const std::string name = GetParam();
    const std::string file = std::string(SHMIFLAB_EXAMPLES) + "/" + name + ".toml";
    ASSERT_NO_FATAL_FAILURE(up(file, name));
    auto ping = shmiflab({"ping-all", name});
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_NE(ping.output.find("addresses answered"), std::string::npos) << ping.output;
    std::cout << ping.output;

    auto status = shmiflab({"status", name, "--json"});
    ASSERT_EQ(status.status, 0) << status.output;
    const auto json = nlohmann::json::parse(status.output);
    EXPECT_EQ(json["lab"], name);
    for (const auto& node : json["nodes"])
        EXPECT_TRUE(node["alive"].get<bool>()) << node.dump();
    for (const auto& bus : json["buses"]) {
        if (bus["format"] == "native") {
            EXPECT_GT(bus["frames_written"].get<int>(), 0) << bus.dump();
        }
        EXPECT_GT(bus["frames_held"].get<int>(), 0) << bus.dump();
    }
    down_and_check(name);
    // A lab that is down is no lab.
    EXPECT_EQ(shmiflab({"status", name}).status, 1);
    EXPECT_EQ(shmiflab({"down", name}).status, 1);
}

INSTANTIATE_TEST_SUITE_P(Labs, Examples, ::testing::Values("two-hosts", "two-routers"),
                         [](const auto& param) {
                             return std::regex_replace(param.param, std::regex("-"), "_");
                         });

TEST_F(LabTest, RefusesASecondLabOfTheSameName) {
    const std::string file = std::string(SHMIFLAB_EXAMPLES) + "/two-hosts.toml";
    ASSERT_NO_FATAL_FAILURE(up(file, "two-hosts"));
    const auto before = pids("two-hosts");
    auto again = shmiflab({"up", file});
    EXPECT_EQ(again.status, 1) << again.output;
    EXPECT_NE(again.output.find("already running"), std::string::npos) << again.output;
    EXPECT_EQ(pids("two-hosts"), before);
    EXPECT_EQ(shmiflab({"status", "two-hosts"}).status, 0);
    down_and_check("two-hosts");
}

// `down FILE` stops what `up` started (the lab's lab.toml), though the file changed since.
TEST_F(LabTest, DownByFileStopsWhatUpStarted) {
    const auto file = dir_.file("mine.toml");
    write_text_file(file, read_file(std::string(SHMIFLAB_EXAMPLES) + "/two-hosts.toml"));
    ASSERT_NO_FATAL_FAILURE(up(file, "two-hosts"));
    const auto started = pids("two-hosts");
    ASSERT_EQ(started.size(), 2u);
    write_text_file(file,
                    "[lab]\nname = \"two-hosts\"\n[[bus]]\nname = \"lan\"\n[[node]]\nname = "
                    "\"a\"\n[[node.interface]]\nbus = \"lan\"\n");
    auto ran = shmiflab({"down", file});
    EXPECT_EQ(ran.status, 0) << ran.output;
    EXPECT_NE(ran.output.find("2 node(s) stopped"), std::string::npos) << ran.output;
    expect_gone(started);
    EXPECT_TRUE(lab_processes("two-hosts").empty());
    EXPECT_TRUE(files("two-hosts", ".bus").empty());
    std::erase(labs_, "two-hosts");
}

TEST_F(LabTest, ABadFileStartsNothing) {
    const auto file = dir_.file("bad.toml");
    write_text_file(file, R"([[bus]]
name = "lan"
[[node]]
name = "a"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
[[node.route]]
dst = "default"
via = "10.0.9.1"
)");
    auto ran = shmiflab({"up", file});
    EXPECT_EQ(ran.status, 2) << ran.output;
    EXPECT_NE(ran.output.find(file + ":8: node a: gateway 10.0.9.1"), std::string::npos)
        << ran.output;
    EXPECT_FALSE(std::filesystem::exists(base() + "/bad"));
}

// The third of five nodes fails to start, which no validation can see: a wrapper that runs
// the real shmifd for every node but that one. Everything started goes again.
TEST_F(LabTest, AFailureMidUpLeavesNothingRunning) {
    std::string text;
    text += "[lab]\nname = \"mid\"\n[[bus]]\nname = \"lan\"\n[[bus]]\nname = \"other\"\n";
    for (int n = 1; n <= 5; ++n)
        text += fmt::format(
            "[[node]]\nname = \"n{}\"\n[[node.interface]]\nbus = \"lan\"\naddresses = "
            "[\"10.0.0.{}/24\"]\n",
            n, n);
    const auto file = dir_.file("mid.toml");
    write_text_file(file, text);
    const auto wrapper = dir_.file("wrapper.sh");
    write_text_file(wrapper, fmt::format(R"(#!/bin/sh
echo $$ >> {0}/pids
case "$2" in */n3.toml) echo "wrapper: n3 refuses to start" >&2; exit 1;; esac
exec {1} "$@"
)",
                                         dir_.path(), SHMIFD_BIN));
    ::chmod(wrapper.c_str(), 0755);

    auto ran = shmiflab({"up", file, "--shmifd", wrapper, "--timeout", "120"});
    take_down_at_end("mid");
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("node n3:"), std::string::npos) << ran.output;
    EXPECT_NE(ran.output.find("n3 refuses to start"), std::string::npos) << ran.output;
    std::vector<pid_t> started;
    std::istringstream lines(read_file(dir_.file("pids")));
    for (pid_t pid; lines >> pid;)
        started.push_back(pid);
    // The wrappers run side by side: any but n3's may be stopped before it wrote its pid.
    EXPECT_GE(started.size(), 1u);
    expect_gone(started);
    EXPECT_TRUE(lab_processes("mid").empty());
    EXPECT_TRUE(files("mid", ".bus").empty());
    EXPECT_TRUE(files("mid", ".sock").empty());
    EXPECT_TRUE(files("mid", ".pid").empty());
    EXPECT_FALSE(std::filesystem::exists(base() + "/mid/lab.toml"));
}

// The same two hosts, same addresses, in two labs: each on its own buses, neither sees the
// other (address probing would refuse a second 10.0.0.1 on a shared bus).
TEST_F(LabTest, TwoLabsAtOnceDoNotInterfere) {
    const auto text = read_file(std::string(SHMIFLAB_EXAMPLES) + "/two-hosts.toml");
    const auto other = dir_.file("other.toml");
    write_text_file(
        other, std::regex_replace(text, std::regex("name = \"two-hosts\""), "name = \"other\""));
    ASSERT_NO_FATAL_FAILURE(up(std::string(SHMIFLAB_EXAMPLES) + "/two-hosts.toml", "two-hosts"));
    ASSERT_NO_FATAL_FAILURE(up(other, "other"));
    EXPECT_EQ(shmiflab({"ping-all", "two-hosts"}).status, 0);
    EXPECT_EQ(shmiflab({"ping-all", "other"}).status, 0);
    down_and_check("other");
    EXPECT_EQ(shmiflab({"status", "two-hosts"}).status, 0);
    auto ping = shmiflab({"ping-all", "two-hosts"});
    EXPECT_EQ(ping.status, 0) << ping.output;
    down_and_check("two-hosts");
}

// 16 daemons on 6 buses: five routers on a core bus, each with a LAN of its own; eleven
// hosts on the LANs, each with a default route through its LAN's router.
std::string sixteen_nodes() {
    std::string text = "[lab]\nname = \"sixteen\"\n[[bus]]\nname = \"core\"\n";
    for (int lan = 1; lan <= 5; ++lan)
        text += fmt::format("[[bus]]\nname = \"lan{}\"\n", lan);
    for (int r = 1; r <= 5; ++r) {
        text += fmt::format(
            "[[node]]\nname = \"r{0}\"\nforwarding = true\n[[node.interface]]\nbus = "
            "\"core\"\naddresses = [\"10.0.0.{0}/24\"]\n[[node.interface]]\nbus = "
            "\"lan{0}\"\naddresses = [\"10.0.{0}.1/24\"]\n",
            r);
        for (int other = 1; other <= 5; ++other)
            if (other != r)
                text += fmt::format("[[node.route]]\ndst = \"10.0.{}.0/24\"\nvia = \"10.0.0.{}\"\n",
                                    other, other);
    }
    for (int h = 1; h <= 11; ++h) {
        const int lan = (h - 1) % 5 + 1;
        text += fmt::format(
            "[[node]]\nname = \"h{0}\"\n[[node.interface]]\nbus = \"lan{1}\"\naddresses = "
            "[\"10.0.{1}.{2}/24\"]\n[[node.route]]\ndst = \"default\"\nvia = \"10.0.{1}.1\"\n",
            h, lan, 10 + h);
    }
    return text;
}

TEST_F(LabTest, SixteenDaemonsOnSixBuses) {
    const auto file = dir_.file("sixteen.toml");
    write_text_file(file, sixteen_nodes());
    const auto began = std::chrono::steady_clock::now();
    ASSERT_NO_FATAL_FAILURE(up(file, "sixteen"));
    std::cout << "16 daemons up in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - began)
                     .count()
              << " ms (shmiflab up, process start to exit)\n";
    EXPECT_EQ(pids("sixteen").size(), 16u);
    auto ping = shmiflab({"ping-all", "sixteen"});
    EXPECT_EQ(ping.status, 0) << ping.output;
    std::cout << ping.output;
    down_and_check("sixteen");
}

}  // namespace
}  // namespace shmiflab
