// shmifdump, driven as users drive it: the real binary on real bus files (both formats), its
// files read back with libpcap, tcpdump and tshark. Every wait is bounded.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "capture.hpp"
#include "file_io.hpp"
#include "frames.hpp"
#include "frames_ipv6.hpp"
#include "isb_reader.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "summary.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace shmifdump::test {
namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;
namespace fs = std::filesystem;

// ------------------------------------------------------------------ helpers

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool have_program(const char* name) {
    const std::string cmd = std::string("command -v ") + name + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

// A shell command's standard output (stderr goes to /dev/null) and exit status; the command
// is bounded with timeout(1).
struct Shell {
    int status = -1;
    std::string out;
};
Shell shell(const std::string& cmd) {
    Shell r;
    const std::string full = "timeout -k 2 30 sh -c '" + cmd + "' 2>/dev/null";
    std::FILE* p = ::popen(full.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::size_t count_lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// shmifdump as a child process, stdout and stderr into files; killed and reaped if the
// test ends first.
class Dump {
  public:
    Dump(const TempDir& dir, std::vector<std::string> args, const std::string& tag = "dump")
        : out_(dir.file(tag + ".stdout")), err_(dir.file(tag + ".stderr")) {
        std::vector<std::string> all{SHMIFDUMP_BIN};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Dump() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }
    pid_t pid() const { return pid_; }
    // Waits until stderr contains `text`; false after `timeout`.
    bool wait_stderr(const std::string& text, std::chrono::milliseconds timeout = 5s) const {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            if (slurp(err_).find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }
    bool wait_listening() const { return wait_stderr("listening on"); }
    // Exit status, or -1 if it did not end within `timeout` (then it is killed).
    int wait(std::chrono::milliseconds timeout = 10s) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (pid_ > 0) {
            int st = 0;
            const pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            if (std::chrono::steady_clock::now() >= end) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                pid_ = -1;
                return -1;
            }
            std::this_thread::sleep_for(2ms);
        }
        return -1;
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    std::string out() const { return slurp(out_); }
    std::string err() const { return slurp(err_); }

  private:
    std::string out_, err_;
    pid_t pid_ = -1;
};

// Runs shmifdump to completion.
struct Result {
    int status;
    std::string out, err;
};
Result run_dump(const TempDir& dir, std::vector<std::string> args, const std::string& tag = "run") {
    Dump d(dir, std::move(args), tag);
    const int st = d.wait(20s);
    return {st, d.out(), d.err()};
}

// A frame as a pcap file holds it.
struct Packet {
    std::uint64_t ts_ns;
    std::uint32_t len;
    Bytes data;
};

// Reads a pcap or pcapng file with libpcap (nanosecond precision).
std::optional<std::vector<Packet>> read_pcap(const std::string& path,
                                             std::string* error = nullptr) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p =
        ::pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (p == nullptr) {
        if (error) *error = err;
        return std::nullopt;
    }
    std::vector<Packet> out;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    while (::pcap_next_ex(p, &h, &data) == 1) {
        Packet pk;
        pk.ts_ns = static_cast<std::uint64_t>(h->ts.tv_sec) * 1'000'000'000U +
                   static_cast<std::uint64_t>(h->ts.tv_usec);
        pk.len = h->len;
        const auto* b = reinterpret_cast<const std::byte*>(data);
        pk.data.assign(b, b + h->caplen);
        out.push_back(std::move(pk));
    }
    ::pcap_close(p);
    return out;
}

// What the bus holds, oldest first, read by the test itself.
struct Held {
    std::uint64_t time_ns;
    Bytes data;
};
std::vector<Held> ring_contents(const shmif::Bus& bus) {
    shmif::Cursor c(bus, {.skip_sender = 0, .start = shmif::StartAt::oldest});
    std::vector<Held> out;
    std::vector<std::byte> storage(64 * 70000);
    std::vector<shmif::Frame> frames(64);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        frames[i].data = storage.data() + i * 70000;
        frames[i].capacity = 70000;
    }
    for (int guard = 0; guard < 100000; ++guard) {
        const std::size_t n = c.receive(frames);
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(
                {frames[i].time_ns, Bytes(frames[i].data, frames[i].data + frames[i].len)});
    }
    return out;
}

shmif::Bus make_bus(const TempDir& dir, shmif::Format format, std::uint64_t size = 0,
                    const std::string& name = "bus") {
    auto bus = shmif::Bus::create(dir.file(name), {.format = format, .size = size});
    if (!bus) throw std::runtime_error("bus create failed");
    return std::move(*bus);
}

void send_all(shmif::Writer& w, const std::vector<Bytes>& frames) {
    for (const auto& f : frames)
        ASSERT_TRUE(w.send(f).has_value());
}

// "N frames captured, S seen, M matched, X missed (B bus overrun, Q queue full)".
struct Summary {
    std::uint64_t captured = 0, seen = 0, matched = 0, missed = 0, overrun = 0, queue_full = 0;
};
std::optional<Summary> parse_summary(const std::string& err) {
    static const std::regex re(
        R"((\d+) frames captured, (\d+) seen, (\d+) matched, (\d+) missed \((\d+) bus overrun, (\d+) queue full\))");
    std::optional<Summary> last;
    for (auto it = std::sregex_iterator(err.begin(), err.end(), re); it != std::sregex_iterator();
         ++it) {
        const auto& m = *it;
        last = Summary{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]),
                       std::stoull(m[4]), std::stoull(m[5]), std::stoull(m[6])};
    }
    return last;
}

std::string fmt_ns(std::uint64_t ns) {
    std::string s = std::to_string(ns);
    return std::string(9 - s.size(), '0') + s;
}

const char* fmt_name(shmif::Format f) {
    return f == shmif::Format::native ? "native" : "netbsd";
}

class BothFormats : public ::testing::TestWithParam<shmif::Format> {};
INSTANTIATE_TEST_SUITE_P(Formats, BothFormats,
                         ::testing::Values(shmif::Format::native, shmif::Format::netbsd),
                         [](const auto& p) { return std::string(fmt_name(p.param)); });

// ------------------------------------------------------------------ summary lines (unit)

TEST(ShmifdumpSummary, DescribesEachProtocol) {
    auto s = [](const Bytes& b) { return summarize(b, b.size()); };
    EXPECT_EQ(
        s(arp_frame(true, 0)),
        "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP who-has 10.0.0.2 tell 10.0.0.1, length 42");
    EXPECT_EQ(
        s(arp_frame(false, 0)),
        "02:00:00:00:00:01 > 02:00:00:00:00:02, ARP 10.0.0.2 is-at 02:00:00:00:00:01, length 42");
    EXPECT_EQ(s(icmp_echo_frame(true, 7, 9)),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 10.0.0.1 > 10.0.0.2: ICMP echo request, "
              "id 7, seq 9, length 46");
    EXPECT_EQ(s(udp_frame(5353, 53, 1)),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 10.0.0.1.5353 > 10.0.0.2.53: UDP, "
              "length 20, length 62");
    EXPECT_EQ(s(tcp_frame(40000, 80, 0x12, 1)),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 10.0.0.1.40000 > 10.0.0.2.80: TCP [S.], "
              "length 58");
    EXPECT_EQ(s(vlan_udp_frame(42, 53, 1)),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, 802.1Q vlan 42, p 3, IPv4 10.0.0.1.1000 > "
              "10.0.0.2.53: UDP, length 20, length 66");
    EXPECT_EQ(s(raw_frame(60, 1)),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype 0x88b5, length 60");
}

// tcpdump prints the UDP payload's length (checked against tcpdump 4.99 on the same frame),
// not the UDP length field, which counts the 8-byte header too.
TEST(ShmifdumpSummary, UdpLengthIsThePayloadsAsTcpdumpPrintsIt) {
    Bytes udp = udp_frame(5000, 6000, 1);
    const std::size_t length_field = 14 + 20 + 4;
    EXPECT_NE(summarize(udp, udp.size()).find("10.0.0.2.6000: UDP, length 20, length 62"),
              std::string::npos)
        << summarize(udp, udp.size());
    udp[length_field] = std::byte{0};
    udp[length_field + 1] = std::byte{4};
    EXPECT_NE(summarize(udp, udp.size()).find("UDP, bad length 4, length 62"), std::string::npos)
        << summarize(udp, udp.size());
}

TEST(ShmifdumpSummary, ShortFramesAreSaidToBeShort) {
    Bytes udp = udp_frame(1, 2, 3);
    EXPECT_EQ(summarize(std::span(udp).first(10), udp.size()),
              "truncated Ethernet frame, length 62");
    EXPECT_EQ(summarize(std::span(udp).first(30), udp.size()),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4, truncated, length 62");
    EXPECT_EQ(summarize(std::span(udp).first(36), udp.size()),
              "02:00:00:00:00:01 > 02:00:00:00:00:02, IPv4 10.0.0.1 > 10.0.0.2: UDP, truncated, "
              "length 62");
    Bytes arp = arp_frame(true, 0);
    EXPECT_EQ(summarize(std::span(arp).first(20), arp.size()),
              "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, truncated, length 42");
}

TEST(ShmifdumpSummary, TimeHasMicroOrNanoDigits) {
    const std::uint64_t t = 1'700'000'000'123'456'789ULL;
    EXPECT_TRUE(std::regex_match(format_time(t, false), std::regex(R"(\d\d:\d\d:\d\d\.123456)")));
    EXPECT_TRUE(std::regex_match(format_time(t, true), std::regex(R"(\d\d:\d\d:\d\d\.123456789)")));
}

TEST(ShmifdumpNames, RotatedNamesAreTcpdumps) {
    EXPECT_EQ(rotated_name("cap", 0, 0, true), "cap");
    EXPECT_EQ(rotated_name("cap", 3, 0, true), "cap3");
    EXPECT_EQ(rotated_name("cap", 0, 3, true), "cap0");
    EXPECT_EQ(rotated_name("cap", 2, 3, true), "cap2");
    EXPECT_EQ(rotated_name("cap", 5, 11, true), "cap05");
    EXPECT_EQ(rotated_name("cap", 0, 1, true), "cap");
    EXPECT_EQ(rotated_name("cap-%s", 4, 0, false), "cap-%s");
}

// ------------------------------------------------------------------ the binary

// Frames written to the bus come out byte for byte, with their lengths and time stamps.
TEST_P(BothFormats, CapturesExactlyWhatWasWritten) {
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    const std::string file = dir.file("cap.pcap");
    constexpr std::uint32_t kN = 200;
    Dump d(dir, {dir.file("bus"), "-w", file, "-c", std::to_string(kN), "--nano"});
    ASSERT_TRUE(d.wait_listening()) << d.err();
    std::vector<Bytes> frames;
    for (std::uint32_t i = 0; i < kN; ++i)
        frames.push_back(raw_frame(60 + (i * 37) % 1455, i));
    shmif::Writer w(bus);
    send_all(w, frames);
    ASSERT_EQ(d.wait(), 0) << d.err();
    const auto held = ring_contents(bus);
    ASSERT_GE(held.size(), kN);
    const std::vector<Held> sent(held.end() - kN, held.end());  // the bus's own time stamps

    const auto pkts = read_pcap(file);
    ASSERT_TRUE(pkts.has_value());
    ASSERT_EQ(pkts->size(), kN);
    for (std::uint32_t i = 0; i < kN; ++i) {
        EXPECT_EQ((*pkts)[i].data, frames[i]) << "frame " << i;
        EXPECT_EQ((*pkts)[i].len, frames[i].size());
        EXPECT_EQ((*pkts)[i].ts_ns, sent[i].time_ns) << "frame " << i;
    }
    const auto s = parse_summary(d.err());
    ASSERT_TRUE(s.has_value()) << d.err();
    EXPECT_EQ(s->captured, kN);
    EXPECT_EQ(s->missed, 0U);
}

TEST_P(BothFormats, SnaplenCutsFramesAndKeepsTheirLength) {
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    shmif::Writer w(bus);
    const Bytes f = raw_frame(1000, 1);
    ASSERT_TRUE(w.send(f).has_value());
    const std::string file = dir.file("cap.pcap");
    auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", file, "-s", "100"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto pkts = read_pcap(file);
    ASSERT_TRUE(pkts && pkts->size() == 1);
    EXPECT_EQ((*pkts)[0].len, 1000U);
    EXPECT_EQ((*pkts)[0].data, Bytes(f.begin(), f.begin() + 100));
}

// --snapshot on a ring that wrapped: what it holds now, oldest first, and nothing else.
TEST_P(BothFormats, SnapshotOfAWrappedRingIsInOrder) {
    TempDir dir;
    // native: the smallest ring (64 KiB); NetBSD: its fixed 1 MiB.
    auto bus = make_bus(dir, GetParam(), GetParam() == shmif::Format::native ? 4096 + 65536 : 0);
    shmif::Writer w(bus);
    const std::uint32_t total = GetParam() == shmif::Format::native ? 300 : 3000;
    for (std::uint32_t i = 0; i < total; ++i)
        ASSERT_TRUE(w.send(raw_frame(500, i)).has_value());
    ASSERT_GT(bus.info().generation, 0U) << "the ring must have wrapped";
    const auto held = ring_contents(bus);
    ASSERT_GT(held.size(), 10U);
    ASSERT_LT(held.size(), total);

    const std::string file = dir.file("snap.pcap");
    auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", file});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto pkts = read_pcap(file);
    ASSERT_TRUE(pkts.has_value());
    ASSERT_EQ(pkts->size(), held.size());
    const std::uint32_t first = total - static_cast<std::uint32_t>(held.size());
    for (std::size_t i = 0; i < pkts->size(); ++i) {
        EXPECT_EQ(seq_of((*pkts)[i].data), first + i);
        EXPECT_EQ((*pkts)[i].data, held[i].data);
    }
    EXPECT_EQ(seq_of(pkts->back().data), total - 1);
}

// Frames for the filter tests: UDP to port 53, ARP, TCP, and UDP elsewhere, interleaved.
std::vector<Bytes> mixed_frames() {
    std::vector<Bytes> v;
    for (std::uint32_t i = 0; i < 40; ++i) {
        switch (i % 4) {
            case 0:
                v.push_back(udp_frame(5000, 53, i));
                break;
            case 1:
                v.push_back(arp_frame(i % 8 == 1, i));
                break;
            case 2:
                v.push_back(tcp_frame(40000, 80, 0x02, i));
                break;
            default:
                v.push_back(udp_frame(5000, 123, i));
                break;
        }
    }
    return v;
}

TEST_P(BothFormats, FilterSelectsExactlyTheMatchingFrames) {
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    shmif::Writer w(bus);
    const auto frames = mixed_frames();
    send_all(w, frames);
    struct Case {
        std::vector<std::string> words;
        int residue;  // i % 4 of the frames that match; -1: udp (0 and 3)
    };
    const Case cases[] = {{{"udp port 53"}, 0},
                          {{"arp"}, 1},
                          {{"tcp", "and", "dst", "port", "80"}, 2},
                          {{"udp"}, -1}};
    for (const auto& c : cases) {
        const std::string file = dir.file("f.pcap");
        std::vector<std::string> args{"--snapshot", dir.file("bus"), "-w", file};
        args.insert(args.end(), c.words.begin(), c.words.end());
        auto r = run_dump(dir, args);
        ASSERT_EQ(r.status, 0) << r.err;
        const auto pkts = read_pcap(file);
        ASSERT_TRUE(pkts.has_value());
        std::vector<Bytes> expected;
        for (std::uint32_t i = 0; i < frames.size(); ++i)
            if (c.residue < 0 ? (i % 4 == 0 || i % 4 == 3)
                              : i % 4 == static_cast<unsigned>(c.residue))
                expected.push_back(frames[i]);
        ASSERT_EQ(pkts->size(), expected.size()) << c.words[0];
        for (std::size_t i = 0; i < expected.size(); ++i)
            EXPECT_EQ((*pkts)[i].data, expected[i]);
        const auto s = parse_summary(r.err);
        ASSERT_TRUE(s.has_value()) << r.err;
        EXPECT_EQ(s->seen, frames.size());
        EXPECT_EQ(s->matched, expected.size());
    }
}

TEST_P(BothFormats, CountStopsAfterThatManyMatchingFrames) {
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    shmif::Writer w(bus);
    send_all(w, mixed_frames());
    const std::string file = dir.file("c.pcap");
    auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", file, "-c", "3", "arp"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto pkts = read_pcap(file);
    ASSERT_TRUE(pkts && pkts->size() == 3);
    EXPECT_EQ(seq_of((*pkts)[0].data), 1U);
    EXPECT_EQ(seq_of((*pkts)[2].data), 9U);
}

TEST(Shmifdump, PrintsOneLinePerFrame) {
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    shmif::Writer w(bus, {.sender = 0x1122334455667788ULL});
    send_all(w, {arp_frame(true, 0), icmp_echo_frame(true, 7, 9), tcp_frame(1, 2, 0x11, 0)});
    auto r = run_dump(dir, {"--snapshot", dir.file("bus")});
    ASSERT_EQ(r.status, 0) << r.err;
    std::istringstream in(r.out);
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line))
        lines.push_back(line);
    ASSERT_EQ(lines.size(), 3U) << r.out;
    const std::regex head(R"(\d\d:\d\d:\d\d\.\d{6} 1122334455667788 02:00:00:00:00:01 > .*)");
    for (const auto& l : lines)
        EXPECT_TRUE(std::regex_match(l, head)) << l;
    EXPECT_NE(lines[0].find("ARP who-has 10.0.0.2 tell 10.0.0.1"), std::string::npos);
    EXPECT_NE(lines[1].find("ICMP echo request, id 7, seq 9"), std::string::npos);
    EXPECT_NE(lines[2].find("IPv4 10.0.0.1.1 > 10.0.0.2.2: TCP [F.]"), std::string::npos);
}

TEST(Shmifdump, TcpdumpAndTsharkReadOurFiles) {
    if (!have_program("tcpdump") || !have_program("tshark"))
        GTEST_SKIP() << "tcpdump or tshark not installed (scripts/install-deps.sh installs them)";
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    shmif::Writer w(bus);
    auto frames = mixed_frames();
    const auto v6 = ipv6_frames().all();
    frames.insert(frames.end(), v6.begin(), v6.end());
    send_all(w, frames);
    for (const char* extra : {"", "--nano"}) {
        const std::string file = dir.file("t.pcap");
        std::vector<std::string> args{"--snapshot", dir.file("bus"), "-w", file};
        if (*extra != 0) args.push_back(extra);
        ASSERT_EQ(run_dump(dir, args).status, 0);
        auto td = shell("tcpdump -n -r " + file);
        EXPECT_EQ(td.status, 0);
        EXPECT_EQ(count_lines(td.out), frames.size()) << td.out;
        EXPECT_EQ(count_lines(shell("tcpdump -n -r " + file + " ip and udp port 53").out), 10U);
        EXPECT_EQ(count_lines(shell("tcpdump -n -r " + file + " ip6").out), v6.size());
        auto ts = shell("tshark -n -r " + file);
        EXPECT_EQ(ts.status, 0);
        EXPECT_EQ(count_lines(ts.out), frames.size()) << ts.out;
    }
}

// The IPv6 test frames through a file into tcpdump -vv: it finds every checksum right but
// bad_checksum's, and says of that one what the live line says.
TEST(Shmifdump, TcpdumpAgreesWithTheIpv6Frames) {
    if (!have_program("tcpdump")) GTEST_SKIP() << "tcpdump not installed";
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    shmif::Writer w(bus);
    const auto frames = ipv6_frames().all();
    send_all(w, frames);
    const std::string file = dir.file("v6.pcap");
    ASSERT_EQ(run_dump(dir, {"--snapshot", dir.file("bus"), "-w", file}).status, 0);
    const auto td = shell("tcpdump -vv -n -r " + file);
    ASSERT_EQ(td.status, 0);
    auto count = [&](std::string_view what) {
        std::size_t n = 0;
        for (auto at = td.out.find(what); at != std::string::npos; at = td.out.find(what, at + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(count("IP6 ("), frames.size()) << td.out;
    // 11 ICMPv6 messages and 2 UDP datagrams whole (not the fragments), 1 TCP segment.
    EXPECT_EQ(count("sum ok]"), 13U) << td.out;
    EXPECT_EQ(count("(correct)"), 1U) << td.out;
    EXPECT_EQ(count("[bad icmp6 cksum 0xd7fd -> 0x82a8!]"), 1U) << td.out;

    const auto live = run_dump(dir, {"--snapshot", dir.file("bus")});
    ASSERT_EQ(live.status, 0) << live.err;
    EXPECT_EQ(count_lines(live.out), frames.size());
    const auto bad = live.out.find("bad checksum");
    EXPECT_NE(live.out.find("bad checksum 0xd7fd (should be 0x82a8)"), std::string::npos)
        << live.out;
    EXPECT_EQ(live.out.find("bad checksum", bad + 1), std::string::npos) << live.out;
}

// -w - into tcpdump -r -, as the README shows.
TEST_P(BothFormats, PipesIntoTcpdump) {
    if (!have_program("tcpdump")) GTEST_SKIP() << "tcpdump not installed";
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    shmif::Writer w(bus);
    const auto frames = mixed_frames();
    send_all(w, frames);
    auto r = shell(std::string(SHMIFDUMP_BIN) + " -q --snapshot " + dir.file("bus") +
                   " -w - | tcpdump -n -r - arp");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(count_lines(r.out), 10U) << r.out;
    EXPECT_NE(r.out.find("ARP, Request who-has 10.0.0.2 (00:00:00:00:00:01) tell 10.0.0.1"),
              std::string::npos)
        << r.out;
}

TEST(Shmifdump, LiveCaptureToStandardOutputStreams) {
    if (!have_program("tcpdump")) GTEST_SKIP() << "tcpdump not installed";
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    const std::string out = dir.file("live.txt");
    // The pipeline ends when shmifdump has written -c frames.
    const std::string cmd = std::string(SHMIFDUMP_BIN) + " " + dir.file("bus") + " -c 20 -w - 2>" +
                            dir.file("err") + " | tcpdump -n -r - > " + out;
    std::thread pipeline([&] { (void)shell(cmd); });
    bool listening = false;
    for (int i = 0; i < 1000 && !listening; ++i) {
        listening = slurp(dir.file("err")).find("listening on") != std::string::npos;
        std::this_thread::sleep_for(5ms);
    }
    shmif::Writer w(bus);
    for (std::uint32_t i = 0; i < 20; ++i)
        ASSERT_TRUE(w.send(udp_frame(1, 53, i)).has_value());
    pipeline.join();
    ASSERT_TRUE(listening);
    EXPECT_EQ(count_lines(slurp(out)), 20U) << slurp(out);
}

// --pcapng --nano: tshark reads it, with the exact nanosecond time stamps, the interface
// described and the statistics block present.
TEST_P(BothFormats, PcapngWithNanosecondsReadByTshark) {
    if (!have_program("tshark")) GTEST_SKIP() << "tshark not installed";
    TempDir dir;
    auto bus = make_bus(dir, GetParam());
    shmif::Writer w(bus);
    const auto frames = mixed_frames();
    send_all(w, frames);
    const auto held = ring_contents(bus);
    ASSERT_EQ(held.size(), frames.size());
    const std::string file = dir.file("n.pcapng");
    auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", file, "--pcapng", "--nano"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(fs::exists(file + "." + std::to_string(0) + ".spool"));
    const auto pkts = read_pcap(file);
    ASSERT_TRUE(pkts && pkts->size() == frames.size());
    auto ts = shell("tshark -r " + file + " -T fields -e frame.time_epoch");
    ASSERT_EQ(ts.status, 0);
    std::istringstream in(ts.out);
    std::string line;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_TRUE(std::getline(in, line));
        const std::string want = std::to_string(held[i].time_ns / 1'000'000'000U) + "." +
                                 fmt_ns(held[i].time_ns % 1'000'000'000U);
        EXPECT_EQ(line, want) << "frame " << i;
        EXPECT_EQ((*pkts)[i].data, frames[i]);
    }
    auto cap = shell("capinfos -M " + file);
    EXPECT_NE(cap.out.find("File encapsulation:  ether\n"), std::string::npos) << cap.out;
    EXPECT_NE(cap.out.find("File timestamp precision:  nanoseconds (9)"), std::string::npos)
        << cap.out;
    EXPECT_NE(cap.out.find("Name = " + dir.file("bus")), std::string::npos) << cap.out;
    EXPECT_NE(cap.out.find("Time resolution = 0x09"), std::string::npos) << cap.out;
    EXPECT_NE(cap.out.find("Number of stat entries = 1"), std::string::npos) << cap.out;
    const auto isb = read_isb(file);
    ASSERT_TRUE(isb.has_value());
    EXPECT_EQ(isb->ifdrop, 0U);
    EXPECT_EQ(isb->ifrecv, frames.size());
    EXPECT_EQ(isb->usrdeliv, frames.size());
}

// A capture that falls behind reports exactly what it missed. Native bus: the capture is
// stopped (SIGSTOP) while more than a ring is written, so it is lapped, deterministically.
TEST(Shmifdump, StalledCaptureReportsItsOverrunsExactly) {
    for (bool pcapng : {false, true}) {
        TempDir dir;
        auto bus = make_bus(dir, shmif::Format::native, 4096 + 65536);
        const std::string file = dir.file(pcapng ? "s.pcapng" : "s.pcap");
        std::vector<std::string> args{dir.file("bus"), "-w", file};
        if (pcapng) args.push_back("--pcapng");
        Dump d(dir, args);
        ASSERT_TRUE(d.wait_listening()) << d.err();
        shmif::Writer w(bus);
        std::uint32_t seq = 0;
        for (; seq < 20; ++seq)
            ASSERT_TRUE(w.send(raw_frame(1000, seq)).has_value());
        std::this_thread::sleep_for(200ms);  // let it take those (not needed for exactness)
        d.signal(SIGSTOP);
        for (int i = 0; i < 300; ++i, ++seq)  // ~4.6 rings of 1,000-byte frames
            ASSERT_TRUE(w.send(raw_frame(1000, seq)).has_value());
        d.signal(SIGCONT);
        for (int i = 0; i < 20; ++i, ++seq)
            ASSERT_TRUE(w.send(raw_frame(1000, seq)).has_value());
        std::this_thread::sleep_for(300ms);
        d.signal(SIGUSR1);
        ASSERT_TRUE(d.wait_stderr("missed (", 5s));
        d.signal(SIGINT);
        ASSERT_EQ(d.wait(), 0) << d.err();
        const auto s = parse_summary(d.err());
        ASSERT_TRUE(s.has_value()) << d.err();
        const auto pkts = read_pcap(file);
        ASSERT_TRUE(pkts.has_value());
        EXPECT_EQ(s->captured, pkts->size());
        EXPECT_GT(s->missed, 0U);
        EXPECT_EQ(s->queue_full, 0U);
        EXPECT_EQ(s->missed, s->overrun);
        EXPECT_EQ(s->captured + s->missed, seq) << d.err();  // exact: none unaccounted
        // What was captured is in order, and the missed frames are one gap.
        std::uint64_t gaps = 0;
        for (std::size_t i = 1; i < pkts->size(); ++i) {
            const auto a = seq_of((*pkts)[i - 1].data), b = seq_of((*pkts)[i].data);
            ASSERT_GT(b, a);
            gaps += b - a - 1;
        }
        EXPECT_EQ(gaps + seq_of(pkts->front().data), s->missed);
        EXPECT_EQ(seq_of(pkts->back().data), seq - 1);
        if (pcapng) {
            // The ISB, as Wireshark's own file library reads it back.
            const auto isb = read_isb(file);
            ASSERT_TRUE(isb.has_value()) << "no interface statistics block";
            EXPECT_EQ(isb->packets, pkts->size());
            EXPECT_EQ(isb->ifdrop, s->missed);
            EXPECT_EQ(isb->ifrecv, seq);
            EXPECT_EQ(isb->usrdeliv, pkts->size());
            EXPECT_EQ(isb->if_name, dir.file("bus"));
            EXPECT_GT(isb->endtime, isb->starttime);
        }
    }
}

// When the file writes cannot keep up, the reader goes on and drops whole batches, counted:
// standard output is a pipe nobody reads for a while, the queue is the smallest (1 MiB).
TEST(Shmifdump, AFullQueueDropsWholeBatchesAndCountsThem) {
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native, 4096 + (64U << 20));
    const std::string pidfile = dir.file("pid"), err = dir.file("err"), out = dir.file("out.pcap");
    const std::string cmd = "(" + std::string(SHMIFDUMP_BIN) + " " + dir.file("bus") +
                            " -w - --queue-mb 1 2>" + err + " & echo $! > " + pidfile +
                            "; wait) | (sleep 2; cat > " + out + ")";
    std::thread pipeline([&] { (void)shell(cmd); });
    bool listening = false;
    for (int i = 0; i < 1000 && !listening; ++i) {
        listening = slurp(err).find("listening on") != std::string::npos;
        std::this_thread::sleep_for(5ms);
    }
    shmif::Writer w(bus);
    constexpr std::uint32_t kN = 20000;  // ~30 MB: far more than a pipe and 1 MiB hold
    for (std::uint32_t i = 0; i < kN && listening; ++i)
        ASSERT_TRUE(w.send(raw_frame(1500, i)).has_value());
    std::this_thread::sleep_for(2500ms);  // the reader of the pipe wakes, drains it
    const pid_t pid = static_cast<pid_t>(std::stol(slurp(pidfile)));
    ASSERT_GT(pid, 0);
    ::kill(pid, SIGINT);
    pipeline.join();
    ASSERT_TRUE(listening);
    const auto s = parse_summary(slurp(err));
    ASSERT_TRUE(s.has_value()) << slurp(err);
    EXPECT_EQ(s->seen, kN);
    EXPECT_EQ(s->overrun, 0U);
    EXPECT_GT(s->queue_full, 0U);
    EXPECT_EQ(s->captured + s->queue_full, kN);
    const auto pkts = read_pcap(out);
    ASSERT_TRUE(pkts.has_value());
    EXPECT_EQ(pkts->size(), s->captured);
    for (std::size_t i = 1; i < pkts->size(); ++i)
        ASSERT_GT(seq_of((*pkts)[i].data), seq_of((*pkts)[i - 1].data));
}

TEST(Shmifdump, SizeRotationMakesARingOfFiles) {
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    shmif::Writer w(bus);
    for (std::uint32_t i = 0; i < 100; ++i)
        ASSERT_TRUE(w.send(raw_frame(1000, i)).has_value());
    // 10 KiB files: the file header (24) and 10 records of 16 + 1000 bytes stay at or under
    // 10,240 bytes, the 11th passes it, so each file holds 11 frames (tcpdump rotates once a
    // file has grown past the size).
    {
        const std::string base = dir.file("ring");
        auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", base, "-C", "10k", "-W", "3"});
        ASSERT_EQ(r.status, 0) << r.err;
        // Files 0..9 in a ring of three: ring0 holds file 9, ring1 file 7, ring2 file 8.
        EXPECT_FALSE(fs::exists(base));
        EXPECT_FALSE(fs::exists(base + "3"));
        const auto f0 = read_pcap(base + "0"), f1 = read_pcap(base + "1"),
                   f2 = read_pcap(base + "2");
        ASSERT_TRUE(f0 && f1 && f2);
        ASSERT_EQ(f0->size(), 1U);
        ASSERT_EQ(f1->size(), 11U);
        ASSERT_EQ(f2->size(), 11U);
        EXPECT_EQ(seq_of(f0->front().data), 99U);
        EXPECT_EQ(seq_of(f1->front().data), 77U);
        EXPECT_EQ(seq_of(f2->front().data), 88U);
    }
    {
        const std::string base = dir.file("seq.pcap");
        auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", base, "-C", "10k"});
        ASSERT_EQ(r.status, 0) << r.err;
        std::uint32_t next = 0;
        for (int i = 0; i < 10; ++i) {
            const std::string name = i == 0 ? base : base + std::to_string(i);
            const auto f = read_pcap(name);
            ASSERT_TRUE(f.has_value()) << name;
            EXPECT_EQ(f->size(), i < 9 ? 11U : 1U) << name;
            for (const auto& p : *f)
                EXPECT_EQ(seq_of(p.data), next++);
        }
        EXPECT_FALSE(fs::exists(base + "10"));
    }
}

// -G 1 with a strftime name: one file per wall-clock second, each holding exactly the frames
// stamped in that second; with -W 2 the capture ends by itself after two files.
TEST(Shmifdump, TimeRotationIsAlignedToTheClock) {
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    const std::string pattern = dir.file("t-%s.pcap");  // %s: seconds since the epoch
    Dump d(dir, {dir.file("bus"), "-w", pattern, "-G", "1", "-W", "2"});
    ASSERT_TRUE(d.wait_listening()) << d.err();
    shmif::Writer w(bus);
    int status = -1;
    std::uint32_t seq = 0;
    const auto end = std::chrono::steady_clock::now() + 4s;
    while (std::chrono::steady_clock::now() < end) {  // ~3 s: the 3rd second ends it
        ASSERT_TRUE(w.send(raw_frame(100, seq++)).has_value());
        std::this_thread::sleep_for(10ms);
        int st = 0;
        if (::waitpid(d.pid(), &st, WNOHANG) == d.pid()) {
            status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            break;
        }
    }
    if (status < 0) status = d.wait(2s);
    ASSERT_EQ(status, 0) << d.err();
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path()))
        if (e.path().filename().string().starts_with("t-")) names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    ASSERT_EQ(names.size(), 2U);
    std::uint64_t total = 0;
    std::optional<std::uint32_t> last_seq;
    for (const auto& n : names) {
        const std::string stem = fs::path(n).filename().string();
        const std::uint64_t second = std::stoull(stem.substr(2, stem.size() - 7));
        const auto f = read_pcap(n);
        ASSERT_TRUE(f.has_value());
        ASSERT_FALSE(f->empty());
        for (const auto& p : *f) {
            EXPECT_EQ(p.ts_ns / 1'000'000'000U, second) << n;
            if (last_seq) {
                EXPECT_EQ(seq_of(p.data), *last_seq + 1);
            }
            last_seq = seq_of(p.data);
        }
        total += f->size();
    }
    EXPECT_GT(total, 0U);
}

TEST(Shmifdump, IoUringWritesTheSameFile) {
    if (probe_uring() != 0) GTEST_SKIP() << "io_uring refused by this kernel: plain writes only";
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native, 4096 + (8U << 20));
    shmif::Writer w(bus);
    for (std::uint32_t i = 0; i < 5000; ++i)  // ~7 MB: several 1 MiB chunks in flight
        ASSERT_TRUE(w.send(raw_frame(1400, i)).has_value());
    // The smallest queue: a snapshot waits for the writer instead of dropping.
    auto plain = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", dir.file("a.pcap"),
                                "--queue-mb", "1", "--plain-writes"});
    ASSERT_EQ(plain.status, 0) << plain.err;
    const auto s = parse_summary(plain.err);
    ASSERT_TRUE(s.has_value()) << plain.err;
    EXPECT_EQ(s->captured, 5000U);
    EXPECT_EQ(s->missed, 0U);
    auto r = run_dump(dir, {"--snapshot", dir.file("bus"), "-w", dir.file("b.pcap")});  // io_uring
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("io_uring unavailable"), std::string::npos) << r.err;
    const std::string a = slurp(dir.file("a.pcap")), b = slurp(dir.file("b.pcap"));
    EXPECT_GT(a.size(), 7'000'000U);
    EXPECT_TRUE(a == b);
}

// ------------------------------------------------------------------ errors

TEST(Shmifdump, ClearErrors) {
    TempDir dir;
    auto bus = make_bus(dir, shmif::Format::native);
    {
        auto r = run_dump(dir, {dir.file("nope")});
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.err, "shmifdump: " + dir.file("nope") + ": no such bus\n");
    }
    {
        std::ofstream(dir.file("text")) << "not a bus at all\n";
        auto r = run_dump(dir, {dir.file("text")});
        EXPECT_EQ(r.status, 1);
        EXPECT_TRUE(r.err.starts_with("shmifdump: " + dir.file("text") + ": ")) << r.err;
        EXPECT_NE(r.err.find("not a bus"), std::string::npos) << r.err;
        EXPECT_EQ(count_lines(r.err), 1U);
    }
    {
        auto r = run_dump(dir, {dir.file("bus"), "udp", "port", "banana"});
        EXPECT_EQ(r.status, 2);
        EXPECT_TRUE(r.err.starts_with("shmifdump: invalid filter 'udp port banana': ")) << r.err;
        EXPECT_NE(r.err.find("banana"), std::string::npos);
        EXPECT_EQ(count_lines(r.err), 1U);
    }
    {
        const std::string out = dir.file("no/such/dir/x.pcap");
        auto r = run_dump(dir, {dir.file("bus"), "-w", out});
        EXPECT_EQ(r.status, 1);
        EXPECT_EQ(r.err, "shmifdump: " + out + ": No such file or directory\n");
    }
    {
        auto r = run_dump(dir, {dir.file("bus"), "-W", "3"});
        EXPECT_EQ(r.status, 2);
        EXPECT_EQ(r.err, "shmifdump: -W needs -C or -G\n");
    }
}

}  // namespace
}  // namespace shmifdump::test
