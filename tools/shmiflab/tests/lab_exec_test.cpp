// shmiflab exec as a user runs it: programs on a node's network of a real lab (real shmiflab,
// shmifd and shmifrun) reaching another node's services over TCP, with their own exit status,
// and the errors; two labs of the same addresses, each program in its own. Bounded waits;
// every lab is taken down at the end of its test whatever happens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "lab_dir.hpp"
#include "lab_runner.hpp"

namespace shmiflab {
namespace {

using namespace test;

// A sanitizer's runtime must be the first library of a process: a sanitized shim cannot be
// preloaded into python3 or sh, so the programs run under shmifrun only in plain builds.
#ifdef SHMIFRUN_SANITIZED
constexpr bool kShimPreloads = false;
#else
constexpr bool kShimPreloads = true;
#endif
constexpr const char* kSanitizedShim = "a sanitized shim cannot be preloaded into programs";

// Two hosts on one bus; b serves `services` (a TOML array's inside).
std::string two_hosts(const std::string& name, const std::string& services) {
    return fmt::format(R"([lab]
name = "{}"
[[bus]]
name = "lan"
[[node]]
name = "a"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
[[node]]
name = "b"
services = [{}]
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.2/24"]
)",
                       name, services);
}

// A Python client run on a node: sends `request` to ADDRESS:PORT over TCP, prints the first
// line of the reply. Exit 4 when the connection is refused.
std::string python_client(int port, const std::string& request) {
    return fmt::format(R"(
import socket, sys
try:
    s = socket.create_connection(("10.0.0.2", {}), timeout=20)
except ConnectionRefusedError:
    sys.exit(4)
s.sendall({})
reply = b""
while b"\n" not in reply:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
print("reply:", reply.split(b"\n")[0].decode().strip())
)",
                       port, request);
}

class LabExecTest : public LabRunner {
  protected:
    LabExecTest() : LabRunner({}, 120s) {}

    Ran exec(const std::string& lab, const std::string& node, std::vector<std::string> program) {
        program.insert(program.begin(), {"exec", lab, node, "--"});
        return shmiflab(program);
    }

    // `up` that must work, of `text` as lab `name`; taken down in TearDown whatever happens.
    void up_topology(const std::string& name, const std::string& text) {
        LabRunner::up(write_topology(name, text), name);
    }

    // Every lab of these tests is up until TearDown: its `down` must work.
    void TearDown() override {
        for (const auto& name : labs_) {
            const auto ran = shmiflab({"down", name}, 30s);
            EXPECT_EQ(ran.status, 0) << ran.output;
        }
        labs_.clear();
        LabRunner::TearDown();
    }
};

TEST_F(LabExecTest, AProgramOnANodeReachesAnotherNodesServices) {
    if (!kShimPreloads) GTEST_SKIP() << kSanitizedShim;
    ASSERT_NO_FATAL_FAILURE(up_topology("svc", two_hosts("svc", R"("echo", "http")")));
    auto echo = exec("svc", "a", {"python3", "-c", python_client(7, R"(b"hello lab\n")")});
    EXPECT_EQ(echo.status, 0) << echo.output;
    EXPECT_NE(echo.output.find("reply: hello lab"), std::string::npos) << echo.output;
    auto http =
        exec("svc", "a", {"python3", "-c", python_client(80, R"(b"GET / HTTP/1.0\r\n\r\n")")});
    EXPECT_EQ(http.status, 0) << http.output;
    EXPECT_NE(http.output.find("reply: HTTP/1.1 200 OK"), std::string::npos) << http.output;
}

// shmiflab becomes the program (through shmifrun, which does the same): one pid, its status.
TEST_F(LabExecTest, TheProgramIsShmiflabsProcessWithItsOwnStatus) {
    if (!kShimPreloads) GTEST_SKIP() << kSanitizedShim;
    ASSERT_NO_FATAL_FAILURE(up_topology("own", two_hosts("own", R"("echo")")));
    auto three = exec("own", "a", {"python3", "-c", "import sys; sys.exit(3)"});
    EXPECT_EQ(three.status, 3) << three.output;
    auto pid = exec("own", "b", {"sh", "-c", "echo pid $$"});
    EXPECT_EQ(pid.status, 0) << pid.output;
    EXPECT_NE(pid.output.find(fmt::format("pid {}\n", pid.pid)), std::string::npos)
        << "shmiflab was pid " << pid.pid << ": " << pid.output;
    auto killed = exec("own", "a", {"sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(killed.status, 128 + SIGTERM) << killed.output;
    auto missing = exec("own", "a", {"no-such-program-shmiflab-test"});
    EXPECT_EQ(missing.status, 127) << missing.output;
    EXPECT_NE(missing.output.find("no-such-program-shmiflab-test"), std::string::npos)
        << missing.output;
}

TEST_F(LabExecTest, Errors) {
    const auto file = dir_.file("err.toml");
    write_text_file(file, two_hosts("err", R"("echo")"));
    // Not running: by its file (never started) and by its name (no such lab).
    auto by_file = exec(file, "a", {"true"});
    EXPECT_EQ(by_file.status, 1) << by_file.output;
    EXPECT_EQ(by_file.output, "shmiflab: lab err is not running (shmiflab up FILE starts it)\n");
    auto by_name = exec("err", "a", {"true"});
    EXPECT_EQ(by_name.status, 1) << by_name.output;
    EXPECT_NE(by_name.output.find("no lab err in "), std::string::npos) << by_name.output;

    ASSERT_NO_FATAL_FAILURE(up_topology("err", read_file(file)));
    auto unknown = exec("err", "c", {"true"});
    EXPECT_EQ(unknown.status, 1) << unknown.output;
    EXPECT_EQ(unknown.output, "shmiflab: lab err has no node c (its nodes: a, b)\n");
    auto no_dashes = shmiflab({"exec", "err", "a", "true"});
    EXPECT_EQ(no_dashes.status, 2) << no_dashes.output;
    EXPECT_NE(no_dashes.output.find("the program goes after --"), std::string::npos)
        << no_dashes.output;
    auto no_program = shmiflab({"exec", "err", "a", "--"});
    EXPECT_EQ(no_program.status, 2) << no_program.output;
    EXPECT_NE(no_program.output.find("exec: no program"), std::string::npos) << no_program.output;
    if (kShimPreloads) {
        EXPECT_EQ(exec("err", "a", {"true"}).status, 0);
    }
}

// The same two hosts and addresses in two labs; each lab's b serves echo on its own port.
// A program in one lab reaches its own lab's b, and never the other's.
TEST_F(LabExecTest, TwoLabsOfTheSameAddressesStayApart) {
    if (!kShimPreloads) GTEST_SKIP() << kSanitizedShim;
    ASSERT_NO_FATAL_FAILURE(up_topology("one", two_hosts("one", R"("echo:7001")")));
    ASSERT_NO_FATAL_FAILURE(up_topology("two", two_hosts("two", R"("echo:7002")")));
    const auto hello = R"(b"hello\n")";
    for (const auto& [lab, own, other] : {std::tuple{"one", 7001, 7002}, {"two", 7002, 7001}}) {
        SCOPED_TRACE(lab);
        auto reached = exec(lab, "a", {"python3", "-c", python_client(own, hello)});
        EXPECT_EQ(reached.status, 0) << reached.output;
        EXPECT_NE(reached.output.find("reply: hello"), std::string::npos) << reached.output;
        auto refused = exec(lab, "a", {"python3", "-c", python_client(other, hello)});
        EXPECT_EQ(refused.status, 4) << "the other lab's echo answered: " << refused.output;
    }
}

// A kernel node's programs run in its namespace (ip netns exec). The namespace is made here,
// not by `up`: what is tested is exec, given a lab's lab.toml and its kernel node's namespace.
TEST_F(LabExecTest, AKernelNodesProgramRunsInItsNamespace) {
    if (const auto why = kernel_labs_unavailable(); !why.empty())
        GTEST_SKIP() << "kernel nodes: " << why;
    // Namespaces are the host's: a lab name no other run of this test uses at the same time.
    const std::string lab = "xk" + std::to_string(::getpid());
    const auto ns = netns_name(lab, "k");
    std::filesystem::create_directories(base() + "/" + lab);
    write_text_file(base() + "/" + lab + "/lab.toml", fmt::format(R"([lab]
name = "{}"
[[bus]]
name = "lan"
[[node]]
name = "k"
kind = "kernel"
[[node.interface]]
bus = "lan"
addresses = ["10.0.0.1/24"]
)",
                                                                  lab));
    auto before = exec(lab, "k", {"true"});
    EXPECT_EQ(before.status, 1) << before.output;
    EXPECT_NE(before.output.find("is not running"), std::string::npos) << before.output;

    ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
    struct RemoveNamespace {
        std::string ns;
        ~RemoveNamespace() { std::system(("ip netns delete " + ns + " 2>/dev/null").c_str()); }
    } remove{ns};
    auto where = exec(lab, "k", {"ip", "netns", "identify"});
    EXPECT_EQ(where.status, 0) << where.output;
    EXPECT_EQ(where.output, ns + "\n");
    EXPECT_EQ(exec(lab, "k", {"sh", "-c", "exit 3"}).status, 3);
    auto missing = exec(lab, "k", {"no-such-program-shmiflab-test"});
    EXPECT_EQ(missing.status, 127) << missing.output;
    EXPECT_EQ(missing.output, "shmiflab: no-such-program-shmiflab-test: command not found\n");
}

}  // namespace
}  // namespace shmiflab
