// shmifd's TCP services changed at run time through shmifctl: `service add http:8080` makes a
// running 2-worker daemon serve (shmifhost fetches /bytes/N, SHA-256 checked), `service list`
// counts connections and bytes as they move, `tcp list` (text and --json) shows each open
// connection once, `service del` aborts its connections and refuses new ones; the errors of
// add (`exists`, bad specs). 100 concurrent connections on 2 and 3 workers (every byte, no
// connection listed twice) are in tools/shmifhost/tests/tcp_interop_test.cpp, through the
// kernel.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"
#include "services/patterns.hpp"

namespace shmifd::test {
namespace {

using nlohmann::json;

constexpr const char* kServer = "10.0.0.1";
constexpr const char* kService = "10.0.0.1:8080";

using services::bytes_pattern_sha256;

class ServiceRuntimeTest : public DaemonFixture {
  protected:
    // shmifhost on the LAN at 10.0.0.<host> fetching /bytes/`bytes` from http:8080, started
    // in the background; its output goes to a file of its own.
    // `sha256` false: --no-sha256, for a stream as fast as the client can take it.
    pid_t fetch(int host, std::uint64_t bytes, int timeout_s = 60, bool sha256 = true) {
        const std::string out = dir.file("fetch" + std::to_string(host) + ".out");
        std::filesystem::remove(out);
        auto argv = std::vector<std::string>(
            {SHMIFHOST_BIN, "--bus", lan, "--addr", "10.0.0." + std::to_string(host) + "/24",
             "--seed", std::to_string(1000 + host), "-q", "--tcp-fetch", kService, "--http",
             "--bytes", std::to_string(bytes), "--tcp-timeout", std::to_string(timeout_s)});
        if (!sha256) argv.emplace_back("--no-sha256");
        return spawn(argv, out);
    }
    std::string fetch_output(int host) {
        return read_file(dir.file("fetch" + std::to_string(host) + ".out"));
    }
    // A fetch run to its end: exit status and output.
    std::optional<int> fetch_now(int host, std::uint64_t bytes, std::string& out,
                                 int timeout_s = 60, bool sha256 = true) {
        const auto status =
            wait_exit(fetch(host, bytes, timeout_s, sha256), std::chrono::seconds(timeout_s + 10));
        out = fetch_output(host);
        return status;
    }

    json ctl_json(const DaemonProcess& d, std::vector<std::string> words) {
        words.insert(words.begin(), "--json");
        std::string out;
        EXPECT_EQ(shmifctl(d, words, out), 0) << out;
        return json::parse(out, nullptr, false);
    }
    // http:8080 in `service list`, or null.
    json http_8080(const DaemonProcess& d) {
        const auto list = ctl_json(d, {"service", "list"});  // kept: the loop refers into it
        for (const auto& s : list["services"])
            if (s["name"] == "http:8080") return s;
        return nullptr;
    }
    static std::uint64_t counter(const json& service, const char* name) {
        return service.is_object() && service.contains(name) ? service[name].get<std::uint64_t>()
                                                             : 0;
    }
    // Open connections of http:8080 in `--json tcp list` (not listeners, not TIME-WAIT: the
    // first fetch's), remote -> times listed.
    std::map<std::string, int> connections(const DaemonProcess& d) {
        std::map<std::string, int> seen;
        const auto list = ctl_json(d, {"tcp", "list"});
        for (const auto& c : list["connections"])
            if (c["local"] == kService && c["state"] != "LISTEN" && c["state"] != "TIME-WAIT")
                ++seen[c["remote"].get<std::string>()];
        return seen;
    }
};

TEST_F(ServiceRuntimeTest, AddServesListCountsTcpListAndDelAborts) {
    auto d = start("d", lan, std::string(kServer) + "/24");  // 2 workers
    ASSERT_FALSE(HasFailure());
    std::string out;
    // Nothing on 8080 yet: refused.
    ASSERT_NE(fetch_now(3, 1000, out, 10), 0) << out;

    ASSERT_EQ(shmifctl(*d, {"service", "add", "http:8080"}, out), 0) << out;
    EXPECT_EQ(shmifctl(*d, {"service", "add", "http:8080"}, out), 1) << out;
    EXPECT_NE(out.find("exists"), std::string::npos) << out;
    EXPECT_EQ(shmifctl(*d, {"--json", "service", "add", "http:8080"}, out), 1) << out;
    // (stdout and stderr share the file: the JSON object is on a line of its own)
    EXPECT_NE(out.find(R"("code":"exists")"), std::string::npos) << out;

    // Served: the documented pattern, every byte.
    const std::uint64_t n = 5'000'000;
    ASSERT_EQ(fetch_now(3, n, out), 0) << out << d->log();
    EXPECT_NE(out.find("bytes " + std::to_string(n) + " "), std::string::npos) << out;
    EXPECT_NE(out.find("sha256 " + bytes_pattern_sha256(n)), std::string::npos) << out;
    auto served = http_8080(*d);
    EXPECT_EQ(counter(served, "connections"), 1u) << served.dump();
    EXPECT_EQ(counter(served, "requests"), 1u) << served.dump();
    EXPECT_GE(counter(served, "bytes_sent"), n) << served.dump();
    EXPECT_EQ(counter(served, "errors"), 0u) << served.dump();
    ASSERT_EQ(shmifctl(*d, {"service", "list"}, out), 0) << out;
    EXPECT_NE(out.find("http:8080"), std::string::npos) << out;

    // Three long fetches at once (from 10.0.0.4, .5, .6): each open connection listed once,
    // the counters moving while they run.
    std::vector<pid_t> long_fetches;
    for (int host = 4; host <= 6; ++host)
        long_fetches.push_back(fetch(host, 1'000'000'000'000, 60));
    std::map<std::string, int> open;
    ASSERT_TRUE(wait_until(
        [&] {
            open = connections(*d);
            return open.size() == 3;
        },
        15s))
        << ctl_json(*d, {"tcp", "list"}).dump() << fetch_output(4);
    for (const auto& [remote, times] : open) {
        EXPECT_EQ(times, 1) << remote;
        EXPECT_EQ(remote.rfind("10.0.0.", 0), 0u) << remote;
    }
    ASSERT_EQ(shmifctl(*d, {"tcp", "list"}, out), 0) << out;
    for (const auto& [remote, times] : open) {
        const auto at = out.find(" " + remote + " ");
        EXPECT_NE(at, std::string::npos) << remote << "\n" << out;
        EXPECT_EQ(out.find(" " + remote + " ", at + 1), std::string::npos) << remote << "\n" << out;
    }
    const auto before = http_8080(*d);
    EXPECT_EQ(counter(before, "connections"), 4u) << before.dump();
    EXPECT_EQ(counter(before, "active"), 3u) << before.dump();
    std::this_thread::sleep_for(300ms);
    const auto after = http_8080(*d);
    EXPECT_GT(counter(after, "bytes_sent"), counter(before, "bytes_sent"))
        << before.dump() << " then " << after.dump();
    EXPECT_EQ(counter(after, "requests"), 4u) << after.dump();

    // Deleted: the open connections are aborted (the fetches fail, reset) and gone from
    // tcp list; a new fetch is refused.
    ASSERT_EQ(shmifctl(*d, {"service", "del", "http:8080"}, out), 0) << out;
    for (std::size_t i = 0; i < long_fetches.size(); ++i) {
        const auto status = wait_exit(long_fetches[i], 20s);
        EXPECT_TRUE(status && *status != 0) << fetch_output(4 + static_cast<int>(i));
        EXPECT_EQ(fetch_output(4 + static_cast<int>(i)).find("sha256"), std::string::npos)
            << fetch_output(4 + static_cast<int>(i));
    }
    EXPECT_TRUE(connections(*d).empty()) << ctl_json(*d, {"tcp", "list"}).dump();
    EXPECT_TRUE(http_8080(*d).is_null());
    EXPECT_NE(fetch_now(7, 1000, out, 10), 0) << out;
    EXPECT_NE(out.find("refused"), std::string::npos) << out;
    // And it can be added again.
    ASSERT_EQ(shmifctl(*d, {"service", "add", "http:8080"}, out), 0) << out;
    ASSERT_EQ(fetch_now(8, 100'000, out), 0) << out;
    EXPECT_NE(out.find("sha256 " + bytes_pattern_sha256(100'000)), std::string::npos) << out;
}

// The exit-status contract (README) makes a bad value a usage error, 2: shmifctl checks the
// spec with the same parser as the daemon before it sends anything.
TEST_F(ServiceRuntimeTest, BadSpecsAreRefused) {
    auto d = start("d", lan, std::string(kServer) + "/24");
    ASSERT_FALSE(HasFailure());
    std::string out;
    for (const auto* spec : {"http:notaport", "gopher:70", "http:70000", "echo:7/sctp", ""}) {
        for (const auto* word : {"add", "del"}) {
            const auto status = shmifctl(*d, {"service", word, spec}, out);
            EXPECT_EQ(status, 2) << word << " '" << spec << "': " << out;
        }
    }
    EXPECT_EQ(shmifctl(*d, {"service", "add"}, out), 2) << out;
    EXPECT_EQ(shmifctl(*d, {"service", "frobnicate", "http"}, out), 2) << out;
    // Nothing was added by them.
    EXPECT_TRUE(ctl_json(*d, {"service", "list"})["services"].empty()) << out;
}

// Two workers, one stream: every frame on the bus wakes both, but the worker whose flows
// are quiet naps (Shard::arm) instead of waking for each of its neighbour's frames, so it
// leaves the CPUs to the stream (on 2 vCPUs the client needs one). Its wake-ups are bounded
// by one per nap period, where waking per frame would be one for every few of ~100,000.
// (No SHA-256 in the client: it would be most of the time, under the sanitizers too.)
TEST_F(ServiceRuntimeTest, AWorkerWhoseFlowsAreQuietNapsWhileTheOtherStreams) {
    auto d = start("d", lan, std::string(kServer) + "/24");  // 2 workers
    ASSERT_FALSE(HasFailure());
    std::string out;
    ASSERT_EQ(shmifctl(*d, {"service", "add", "http:8080"}, out), 0) << out;
    const auto workers = [&] { return d->ok("stats")["workers"]; };
    const json before = workers();
    ASSERT_EQ(before.size(), 2u) << before.dump();
    const std::uint64_t n = 100'000'000;
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(fetch_now(3, n, out, 60, /*sha256=*/false), 0) << out << d->log();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_NE(out.find("bytes " + std::to_string(n) + " "), std::string::npos) << out;
    const json after = workers();
    auto delta = [&](std::size_t w, const char* name) {
        return after[w][name].get<std::uint64_t>() - before[w][name].get<std::uint64_t>();
    };
    // The quiet worker is the one that did less work.
    const std::size_t quiet = delta(0, "work") < delta(1, "work") ? 0 : 1;
    const auto wakeups = delta(quiet, "wakeups");
    // A nap ends at its deadline, which is not a wake-up; the bound allows one per 200 us
    // nap anyway, plus the start (32 polls before napping begins) and the stats requests.
    // Measured in release: 118-148 with napping, 4,307-4,774 without (bound about 1,600).
    const double bound = seconds / 200e-6 + 500;
    EXPECT_LE(static_cast<double>(wakeups), bound)
        << "the quiet worker woke " << wakeups << " times in " << seconds << " s; workers "
        << before.dump() << " then " << after.dump();
    // (The streaming worker's work is the ACKs it took in: one per two segments or more.)
    EXPECT_GT(delta(1 - quiet, "work"), 10 * delta(quiet, "work")) << "the other carried it";
    std::printf("[ quiet worker ] %llu wake-ups in %.2f s (bound %.0f)\n",
                static_cast<unsigned long long>(wakeups), seconds, bound);
}

}  // namespace
}  // namespace shmifd::test
