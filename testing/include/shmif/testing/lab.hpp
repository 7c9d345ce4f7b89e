// shmif::testing: labs in GoogleTest. A test brings up a lab of shmifd daemons on shmif buses
// (the real `shmiflab` program) from a topology file or from a LabBuilder, talks to each node
// through its control socket, and on failure keeps the lab's captures and daemon logs under a
// directory named after the test. See testing/README.md for a complete example.
//
// Public API: the standard library, GoogleTest and nlohmann-json only (C++20).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shmif::testing {

// ---- A topology in code ------------------------------------------------------------------
// The fields of a topology file (examples/labs/README.md); an empty string or 0 leaves the
// key out, so shmiflab's default applies. shmiflab checks the whole (names, addresses, routes,
// netem words, filters) when the lab comes up, and its FILE:LINE message names the line of
// the generated text, which up() prints. Every field has a default (`{}`), so designated
// initializers may name only the fields they set without -Wmissing-field-initializers; they
// name them in the order declared here, the file's.

struct LabBus {
    std::string name{};
    std::string format{};  // "native" or "netbsd"
    std::string size{};    // bytes or "8M"
};

struct LabInterface {
    std::string bus{};
    std::vector<std::string> addresses{};  // "10.0.0.1/24"
    int mtu = 0;
};

struct LabRoute {
    std::string dst{};  // "10.0.2.0/24" or "default"
    std::string via{};
};

struct LabNode {
    std::string name{};
    std::string kind{};  // "shmifd" (default) or "kernel"
    int workers = 0;
    bool forwarding = false;
    std::vector<std::string> services{};     // "http", "echo:7/udp"
    std::vector<std::string> forward{};      // "tcp:8080=10.0.0.2:80" (host -> lab)
    std::vector<std::string> expose{};       // "tcp:10.0.0.1:5432=" (lab -> host)
    std::vector<LabInterface> interfaces{};  // eth0, eth1, ... in this order
    std::vector<LabRoute> routes{};
};

struct LabLink {
    std::string a{}, b{};                    // bus names
    std::string both{}, a_to_b{}, b_to_a{};  // tc-netem words ("delay 10ms loss 1%")
    std::optional<std::uint64_t> seed{};
};

struct LabCapture {
    std::string bus{};
    std::string format{};  // "pcap" (default) or "pcapng"
    std::string filter{};  // pcap-filter(7)
    std::string file{};    // default BUS.pcap / BUS.pcapng, in the lab's directory
};

// Collects buses, nodes, links and captures and writes them as a topology file's text:
//   LabBuilder lab("pair");
//   lab.bus({.name = "lan"})
//       .node({.name = "a", .interfaces = {{.bus = "lan", .addresses = {"10.0.0.1/24"}}}})
//       .host("b", "lan", "10.0.0.2/24")
//       .capture({.bus = "lan", .filter = "icmp"});
class LabBuilder {
  public:
    explicit LabBuilder(std::string name = "lab");

    LabBuilder& bus(LabBus bus);
    LabBuilder& node(LabNode node);
    LabBuilder& link(LabLink link);
    LabBuilder& capture(LabCapture capture);
    // A node with one interface and one address: the common case, said in one line.
    LabBuilder& host(std::string name, std::string bus, std::string address);

    const std::string& name() const { return name_; }
    // The topology file's text, [lab] name = name() or `lab_name`.
    std::string toml() const;
    std::string toml(std::string_view lab_name) const;

  private:
    std::string name_;
    std::vector<LabBus> buses_;
    std::vector<LabNode> nodes_;
    std::vector<LabLink> links_;
    std::vector<LabCapture> captures_;
};

// A TOML basic string: "..." with quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view text);

// ---- A node's control socket -------------------------------------------------------------

// A control reply (daemon/PROTOCOL.md): the result, or why there is none ("not_found: no
// interface eth9", or a connection problem). Converts to bool: ASSERT_TRUE(r) << r.error.
struct Reply {
    bool ok = false;
    nlohmann::json result;
    std::string error;
    explicit operator bool() const { return ok; }
};

// One request per call on a fresh connection, every wait bounded by `timeout`. (Sockets of
// the socket service, sock.*, come with descriptors this client drops: run programs under
// `shmifrun -s socket()` instead.)
class NodeClient {
  public:
    NodeClient(std::string name, std::string socket);

    const std::string& name() const { return name_; }
    const std::string& socket() const { return socket_; }

    Reply call(const std::string& cmd, nlohmann::json args = nlohmann::json::object(),
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // The node's configured addresses, "10.0.0.1/24" (addr.list without its loopback's and
    // the IPv6 link-local ones made from the MAC); none, and a failure recorded, when the
    // node does not answer.
    std::vector<std::string> addresses() const;

  private:
    std::string name_, socket_;
};

// ---- The fixture -------------------------------------------------------------------------

struct LabOptions {
    // The shmiflab program: empty means $SHMIFLAB, else shmiflab in PATH.
    std::string shmiflab;
    // The daemon: empty leaves it to shmiflab ($SHMIFLAB_SHMIFD, beside shmiflab, PATH).
    std::string shmifd;
    // How long `up` may wait for every node to answer.
    std::chrono::seconds up_timeout{60};
    // Where a failed test's files go: empty means $SHMIF_LAB_ARTIFACTS, else
    // ./shmif-lab-artifacts (relative to the test's working directory).
    std::string artifacts;
    // Where each test's private lab base goes: empty means $SHMIF_LAB_TMPDIR, else /dev/shm
    // (buses are memory), else $TMPDIR, else /tmp.
    std::string tmpdir;
};

// The fixture: derive from it (class PingTest : public shmif::testing::Lab {}) or use it as
// is (using shmif::testing::Lab; TEST_F(Lab, ...)). One lab per test, brought up by up() in
// the test (or in the derived fixture's SetUp), always taken down in TearDown.
//
// Each test's lab lives under a private base directory (mkdtemp) and is given a name of its
// own (the topology's name, "-PID-N" appended), so that tests run in parallel (ctest -j) and
// labs never see one another's buses, sockets or network namespaces. A passing test leaves
// nothing: the base directory is removed.
//
// When the test has failed by TearDown, the lab is taken down first (so every capture is
// complete) and then its captures (*.pcap, *.pcapng), daemon logs (*.log), the topology
// (lab.toml) and the transcript of the shmiflab commands run (shmiflab.txt) are copied to
//   ${SHMIF_LAB_ARTIFACTS:-./shmif-lab-artifacts}/SUITE.TEST/
// The directory is named after the test as --gtest_output names its files: one place a CI
// job uploads, one subdirectory per test, the same path on every run (an older copy is
// replaced), no collision between tests running in parallel. Its path is printed on stderr
// and recorded as the test's property "shmif_lab_artifacts" (in --gtest_output XML/JSON).
class Lab : public ::testing::Test {
  public:
    ~Lab() override;

  protected:
    Lab();
    void TearDown() override;

    // Changed in the derived fixture's constructor or the test, before up().
    LabOptions options;

    // Brings the lab up; the failure says why (shmiflab's output). ASSERT_TRUE(up(lab)).
    ::testing::AssertionResult up(const LabBuilder& lab);
    // A topology file; its [lab] name is replaced by the test's own.
    ::testing::AssertionResult up_file(const std::string& path);
    // Takes the lab down before the test ends (TearDown does it otherwise); its logs and
    // captures stay in lab_dir() until TearDown.
    ::testing::AssertionResult down();

    // The node's control client (a failure is recorded for a node the lab does not have).
    // shmifd nodes only: a kernel node has no control socket.
    NodeClient node(const std::string& name) const;
    std::string socket(const std::string& node) const;
    // The node's addresses ("10.0.0.1/24"), asked of the node; address(): the first, bare.
    std::vector<std::string> addresses(const std::string& node) const;
    std::string address(const std::string& node) const;

    // `count` echo requests from `from` (a node) to `to` (an address, "/n" allowed), 100 ms
    // apart; passes when every one is answered within 1 s.
    ::testing::AssertionResult ping(const std::string& from, const std::string& to,
                                    int count = 1) const;
    // shmiflab ping-all: every node reaches every address it has a route to.
    ::testing::AssertionResult ping_all();
    // shmiflab status --json: {"lab", "dir", "nodes": [...], "buses": [...]}; null on failure.
    nlohmann::json status();

    const std::string& lab_name() const { return name_; }
    const std::string& lab_dir() const { return dir_; }
    const std::string& base_dir() const { return base_; }
    // A file of the lab's directory, as a capture's `file`: path("lan.pcap").
    std::string path(const std::string& file) const { return dir_ + "/" + file; }
    // The captures in the lab's directory now (*.pcap, *.pcapng), sorted.
    std::vector<std::string> capture_files() const;

  private:
    struct Ran {
        int status = -1;  // the exit status; -1 when it did not finish in time or did not run
        std::string output;
    };
    Ran shmiflab(std::vector<std::string> args, std::chrono::milliseconds timeout);
    ::testing::AssertionResult up_text(const std::string& text, const std::string& name);
    void keep_artifacts();

    std::string base_, name_, dir_;
    struct NodeEntry {
        std::string name, socket;
    };
    std::vector<NodeEntry> nodes_;  // from status --json once up
    bool running_ = false;
    std::string transcript_;
};

}  // namespace shmif::testing
