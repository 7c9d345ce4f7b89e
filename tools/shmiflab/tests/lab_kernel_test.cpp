// Kernel nodes as a user runs them: the real shmiflab, shmifd and shmiftap bringing
// examples/labs/kernel.toml up, the kernel's stack in a network namespace (root; skipped
// without it or without usable `ip netns`). Each test's lab has a name of its own (the
// namespaces are global); whatever a test leaves is stopped and deleted in TearDown, also
// when it fails.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <regex>

#include "kernel_node.hpp"
#include "lab_dir.hpp"
#include "lab_runner.hpp"
#include "node_control.hpp"
#include "processes.hpp"
#include "run_command.hpp"
#include "shmifd_path.hpp"
#include "topology.hpp"

namespace shmiflab {
namespace {

using namespace test;

constexpr std::uint64_t kNetAdmin = 1ull << 12;
constexpr std::uint64_t kSysAdmin = 1ull << 21;

// The check itself, for any capability set: no root needed.
TEST(KernelPrivilege, KernelNodesNeedSysAdminAndNetAdmin) {
    auto lab = load_topology(SHMIFLAB_EXAMPLES "/kernel.toml");
    ASSERT_TRUE(lab) << lab.error();
    ASSERT_TRUE(lab->has_kernel_nodes());
    for (std::uint64_t caps : {std::uint64_t{0}, kNetAdmin, kSysAdmin}) {
        const auto refused = kernel_privilege_error(*lab, caps);
        ASSERT_TRUE(refused) << caps;
        EXPECT_NE(refused->find("lab kernel has kernel nodes (k1)"), std::string::npos) << *refused;
        EXPECT_NE(refused->find("need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)"), std::string::npos)
            << *refused;
    }
    EXPECT_FALSE(kernel_privilege_error(*lab, kNetAdmin | kSysAdmin));
    auto plain = load_topology(SHMIFLAB_EXAMPLES "/two-hosts.toml");
    ASSERT_TRUE(plain) << plain.error();
    EXPECT_FALSE(kernel_privilege_error(*plain, 0));
}

class KernelLabTest : public LabRunner {
  protected:
    KernelLabTest() : LabRunner({{"SHMIFLAB_SHMIFTAP", SHMIFTAP_BIN}}, 120s, 60) {}

    void SetUp() override {
        static const std::string unavailable = kernel_labs_unavailable();
        if (!unavailable.empty()) GTEST_SKIP() << "kernel nodes: " << unavailable;
    }

    // A name no other run of these tests uses at the same time: namespaces are global.
    std::string lab_name(const std::string& what) const {
        return fmt::format("{}-{}", what, ::getpid());
    }

    // examples/labs/kernel.toml as lab `name`, which TearDown takes down.
    std::string kernel_lab(const std::string& name) {
        const auto text = read_file(SHMIFLAB_EXAMPLES "/kernel.toml");
        take_down_at_end(name);
        return write_topology(name, std::regex_replace(text, std::regex("name = \"kernel\""),
                                                       "name = \"" + name + "\""));
    }

    // The network namespaces of lab `name` that exist.
    static std::vector<std::string> namespaces(const std::string& name) {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec))
            if (e.path().filename().string().starts_with("shmiflab-" + name + "-"))
                out.push_back(e.path().filename().string());
        return out;
    }

    // Nothing of lab `name` is left: no process, namespace, bus, socket, pid file or lab.toml.
    void expect_nothing_left(const std::string& name) {
        expect_no_process("");
        EXPECT_EQ(namespaces(name), std::vector<std::string>{});
        EXPECT_EQ(files(name, ".bus"), std::vector<std::string>{});
        EXPECT_EQ(files(name, ".sock"), std::vector<std::string>{});
        EXPECT_EQ(files(name, ".pid"), std::vector<std::string>{});
        EXPECT_FALSE(std::filesystem::exists(lab_file(name, "lab.toml")));
    }

    // Whatever happened: down, then by force what down left, namespaces included.
    void TearDown() override {
        LabRunner::TearDown();
        for (const auto& name : labs_)
            for (const auto& ns : namespaces(name))
                run_command({find_system_program("ip"), "netns", "delete", ns}, 10s);
    }
};

TEST_F(KernelLabTest, UpPingAllStatusDown) {
    const auto name = lab_name("kernel");
    const auto netns = netns_name(name, "k1");
    ASSERT_NO_FATAL_FAILURE(up(kernel_lab(name), name));
    EXPECT_EQ(namespaces(name), std::vector<std::string>{netns});

    // Both ways across the shmifd router r1: k1 <-> h2, and every pair that has a route.
    auto ping = shmiflab({"ping-all", name});
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_NE(ping.output.find("8 of 8 addresses answered"), std::string::npos) << ping.output;
    std::cout << ping.output;

    // A shmifd node asks the kernel through its own control socket.
    auto reply = node_call(lab_file(name, "h2.sock"), "ping",
                           {{"addr", "10.0.1.10"}, {"count", 2}, {"timeout_ms", 1000}}, 10s);
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_GT(reply->value("received", 0), 0) << reply->dump();

    auto status = shmiflab({"status", name, "--json"});
    ASSERT_EQ(status.status, 0) << status.output;
    const auto json = nlohmann::json::parse(status.output);
    ASSERT_EQ(json["nodes"].size(), 3u) << json.dump();
    const auto& k1 = json["nodes"][0];
    EXPECT_EQ(k1["kind"], "kernel");
    EXPECT_EQ(k1["netns"], netns);
    EXPECT_TRUE(k1["alive"].get<bool>()) << k1.dump();
    ASSERT_EQ(k1["shmiftap_pids"].size(), 1u) << k1.dump();
    const pid_t tap = k1["shmiftap_pids"][0].get<pid_t>();
    EXPECT_TRUE(alive(tap));
    EXPECT_EQ(json["nodes"][1]["kind"], "shmifd");
    auto text = shmiflab({"status", name});
    EXPECT_NE(text.output.find("kernel, netns " + netns), std::string::npos) << text.output;

    const auto shmifd_pids =
        std::vector<std::optional<pid_t>>{pid_of(name, "r1.pid"), pid_of(name, "h2.pid")};
    auto down = shmiflab({"down", name});
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_FALSE(alive(tap));
    for (const auto& pid : shmifd_pids) {
        ASSERT_TRUE(pid);
        EXPECT_FALSE(alive(*pid));
    }
    expect_nothing_left(name);
    EXPECT_TRUE(std::filesystem::exists(lab_file(name, "k1.eth0.log")));
}

// The shmifd nodes stopped but the kernel's shmiftap runs: still running. Then everything
// dies at once (a crash): `up` clears the stale namespace and starts afresh.
TEST_F(KernelLabTest, UpRefusesWhileAShmiftapRunsAndClearsADeadLab) {
    const auto name = lab_name("stale");
    const auto file = kernel_lab(name);
    ASSERT_NO_FATAL_FAILURE(up(file, name));
    for (const char* node : {"r1.pid", "h2.pid"}) {
        auto pid = pid_of(name, node);
        ASSERT_TRUE(pid);
        ::kill(*pid, SIGKILL);
        EXPECT_TRUE(wait_until([&] { return !alive(*pid); }, 5s));
    }
    auto again = shmiflab({"up", file});
    EXPECT_EQ(again.status, 1) << again.output;
    EXPECT_NE(again.output.find("already running"), std::string::npos) << again.output;
    EXPECT_NE(again.output.find("node k1"), std::string::npos) << again.output;

    auto tap = pid_of(name, "k1.eth0.pid");
    ASSERT_TRUE(tap);
    ::kill(*tap, SIGKILL);
    EXPECT_TRUE(wait_until([&] { return !alive(*tap); }, 5s));
    ASSERT_EQ(namespaces(name).size(), 1u);
    EXPECT_EQ(shmiflab({"status", name}).status, 1);

    ASSERT_NO_FATAL_FAILURE(up(file, name));
    auto ping = shmiflab({"ping-all", name});
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_EQ(shmiflab({"down", name}).status, 0);
    expect_nothing_left(name);
}

// The kernel refuses k1's second route (the connected route to its own subnet exists), which
// the topology cannot know: k1's namespace and shmiftap, r1 and h2 were running by then.
TEST_F(KernelLabTest, AFailureMidUpLeavesNothing) {
    const auto name = lab_name("midk");
    const auto file = kernel_lab(name);
    write_text_file(file, std::regex_replace(read_file(file), std::regex("via = \"10.0.1.1\""),
                                             "via = \"10.0.1.1\"\n[[node.route]]\ndst = "
                                             "\"10.0.1.0/24\"\nvia = \"10.0.1.1\""));
    auto ran = shmiflab({"up", file, "--timeout", "60"});
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("node k1: ip -n shmiflab-" + name +
                              "-k1 route add 10.0.1.0/24 via 10.0.1.1: "),
              std::string::npos)
        << ran.output;
    EXPECT_NE(ran.output.find("File exists"), std::string::npos) << ran.output;
    expect_nothing_left(name);
    // The log says what ran: k1's shmiftap had started.
    EXPECT_NE(read_file(lab_file(name, "k1.log")).find("shmiftap --bus"), std::string::npos);
}

// The kernel as the router between two shmifd hosts: two shmiftaps in one namespace, the
// second TAP with the interface's mtu, forwarding on.
TEST_F(KernelLabTest, AKernelRouterForwards) {
    const auto name = lab_name("kr");
    const auto file = write_topology(name, fmt::format(R"([lab]
name = "{}"
[[bus]]
name = "lan1"
[[bus]]
name = "lan2"
[[node]]
name = "h1"
[[node.interface]]
bus = "lan1"
addresses = ["10.0.1.10/24"]
[[node.route]]
dst = "default"
via = "10.0.1.1"
[[node]]
name = "kr"
kind = "kernel"
forwarding = true
[[node.interface]]
bus = "lan1"
addresses = ["10.0.1.1/24"]
[[node.interface]]
bus = "lan2"
addresses = ["10.0.2.1/24"]
mtu = 1400
[[node]]
name = "h2"
[[node.interface]]
bus = "lan2"
addresses = ["10.0.2.10/24"]
[[node.route]]
dst = "default"
via = "10.0.2.1"
)",
                                                       name));
    ASSERT_NO_FATAL_FAILURE(up(file, name));
    const auto netns = netns_name(name, "kr");
    auto forwarding = run_command({find_system_program("ip"), "netns", "exec", netns,
                                   find_system_program("sysctl"), "-n", "net.ipv4.ip_forward"},
                                  10s);
    ASSERT_TRUE(forwarding) << forwarding.error();
    EXPECT_EQ(forwarding->output, "1\n");
    auto eth1 =
        run_command({find_system_program("ip"), "-n", netns, "-o", "link", "show", "eth1"}, 10s);
    ASSERT_TRUE(eth1) << eth1.error();
    EXPECT_NE(eth1->output.find(" mtu 1400 "), std::string::npos) << eth1->output;

    auto ping = shmiflab({"ping-all", name});
    EXPECT_EQ(ping.status, 0) << ping.output;
    EXPECT_NE(ping.output.find("8 of 8 addresses answered"), std::string::npos) << ping.output;
    auto status = shmiflab({"status", name, "--json"});
    ASSERT_EQ(status.status, 0) << status.output;
    const auto kr = nlohmann::json::parse(status.output)["nodes"][1];
    EXPECT_EQ(kr["shmiftap_pids"].size(), 2u) << kr.dump();

    auto down = shmiflab({"down", name});
    EXPECT_EQ(down.status, 0) << down.output;
    EXPECT_NE(down.output.find("3 node(s) stopped"), std::string::npos) << down.output;
    expect_nothing_left(name);
}

// A namespace of the lab's name that no stopped lab left is someone else's: `up` refuses
// before starting anything, says how to remove it, and leaves it alone.
TEST_F(KernelLabTest, RefusesANamespaceItDidNotCreate) {
    const auto name = lab_name("taken");
    const auto file = kernel_lab(name);
    const auto netns = netns_name(name, "k1");
    const auto ip = find_system_program("ip");
    auto added = run_command({ip, "netns", "add", netns}, 10s);
    ASSERT_TRUE(added && added->exit_status == 0) << (added ? added->output : added.error());

    auto ran = shmiflab({"up", file});
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("network namespace " + netns + " exists already"), std::string::npos)
        << ran.output;
    EXPECT_NE(ran.output.find("ip netns delete " + netns), std::string::npos) << ran.output;
    EXPECT_EQ(namespaces(name), std::vector<std::string>{netns});
    EXPECT_TRUE(lab_processes("").empty());
    EXPECT_EQ(files(name, ".bus"), std::vector<std::string>{});
    // TearDown deletes it.
}

// As an unprivileged user (nobody, through setpriv), `up` refuses at once.
TEST_F(KernelLabTest, RefusesWithoutPrivilege) {
    const auto setpriv = find_system_program("setpriv");
    if (setpriv.empty()) GTEST_SKIP() << "no setpriv (util-linux)";
    // The examples' file and the binaries are world-readable; the --dir is never reached.
    const auto ran =
        run({setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             SHMIFLAB_BIN, "up", SHMIFLAB_EXAMPLES "/kernel.toml", "--dir", base()},
            environment(), 30s);
    if (ran.output.find("no such topology file") != std::string::npos ||
        ran.output.find("Permission denied") != std::string::npos)
        GTEST_SKIP() << "nobody cannot read the build or the examples here: " << ran.output;
    EXPECT_EQ(ran.status, 1) << ran.output;
    EXPECT_NE(ran.output.find("shmiflab: lab kernel has kernel nodes (k1): their network "
                              "namespaces and TAPs need root"),
              std::string::npos)
        << ran.output;
    EXPECT_FALSE(std::filesystem::exists(base()));
}

}  // namespace
}  // namespace shmiflab
