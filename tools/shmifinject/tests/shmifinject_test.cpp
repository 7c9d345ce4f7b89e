// shmifinject as a real process: capture files written with libpcap (pcapng ones converted by
// editcap), replayed into real buses of both formats, and what a Cursor sees compared with
// what the file holds, byte for byte and frame for frame.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using shmif::test::TempDir;
using Bytes = std::vector<std::byte>;

// ---- capture files -------------------------------------------------------------------------

struct CapturedFrame {
    Bytes bytes;                 // what the file holds (caplen)
    std::int64_t ts_ns = 0;      // capture timestamp
    std::uint32_t wire_len = 0;  // 0: bytes.size()
};

// An Ethernet frame of `len` bytes that no other frame of a test equals: broadcast to a
// local experimental EtherType, the index and a pattern in the payload.
Bytes ethernet_frame(std::size_t len, std::uint32_t index) {
    Bytes f(len);
    for (std::size_t i = 0; i < 6; ++i)
        f[i] = std::byte{0xff};
    const std::array<std::uint8_t, 6> src{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
    for (std::size_t i = 0; i < 6; ++i)
        f[6 + i] = std::byte{src[i]};
    f[12] = std::byte{0x88};
    f[13] = std::byte{0xb5};
    for (std::size_t i = 14; i < len; ++i)
        f[i] = std::byte{static_cast<std::uint8_t>((index * 131 + i * 7) & 0xff)};
    if (len >= 18) std::memcpy(f.data() + 14, &index, sizeof index);
    return f;
}

// `count` frames of varied lengths (60..1514), `gap_ns` apart.
std::vector<CapturedFrame> frames(std::uint32_t count, std::int64_t gap_ns = 1'000'000) {
    std::vector<CapturedFrame> out;
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t len = 60 + (static_cast<std::size_t>(i) * 397) % (1514 - 60 + 1);
        out.push_back({ethernet_frame(len, i), 1'700'000'000'000'000'000 + i * gap_ns, 0});
    }
    return out;
}

void write_pcap(const std::string& path, const std::vector<CapturedFrame>& frames,
                int linktype = DLT_EN10MB, bool nano = false) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(
        linktype, 65535, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
    for (const auto& f : frames) {
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<time_t>(f.ts_ns / 1'000'000'000);
        const std::int64_t sub = f.ts_ns % 1'000'000'000;
        h.ts.tv_usec = static_cast<suseconds_t>(nano ? sub : sub / 1000);
        h.caplen = static_cast<bpf_u_int32>(f.bytes.size());
        h.len = f.wire_len != 0 ? f.wire_len : h.caplen;
        pcap_dump(reinterpret_cast<u_char*>(dumper), &h,
                  reinterpret_cast<const u_char*>(f.bytes.data()));
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

// Every frame of a capture file, read back with libpcap.
std::vector<Bytes> read_capture(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    EXPECT_NE(p, nullptr) << errbuf;
    std::vector<Bytes> out;
    if (p == nullptr) return out;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    for (int i = 0; i < 100000 && pcap_next_ex(p, &h, &data) == 1; ++i) {
        const auto* b = reinterpret_cast<const std::byte*>(data);
        out.emplace_back(b, b + h->caplen);
    }
    pcap_close(p);
    return out;
}

std::uintmax_t file_size(const std::string& path) {
    return std::filesystem::file_size(path);
}

void cut_file(const std::string& path, std::uintmax_t size) {
    std::filesystem::resize_file(path, size);
}

// A whole file as text (empty when missing), read in bounded chunks.
std::string slurp(const std::string& path) {
    std::string text;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return text;
    char buf[4096];
    for (int i = 0; i < 4096; ++i) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        if (n == 0) break;
        text.append(buf, n);
    }
    std::fclose(f);
    return text;
}

// ---- processes -----------------------------------------------------------------------------

struct Outcome {
    int exit_code = -1;  // -1: killed (timeout or signal)
    std::string err;     // its stderr
    std::string out;     // its stdout
    std::chrono::duration<double> elapsed{};
};

// A child with stdin from `stdin_path` (or /dev/null) and stdout/stderr into files of `dir`.
class Child {
  public:
    Child(const TempDir& dir, std::vector<std::string> argv, const std::string& stdin_path = "")
        : out_(dir.file("child" + std::to_string(++count_) + ".out")),
          err_(dir.file("child" + std::to_string(count_) + ".err")) {
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(
            &fa, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        start_ = std::chrono::steady_clock::now();
        const int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) pid_ = -1;
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }
    bool started() const { return pid_ > 0; }
    void signal(int sig) const {
        if (pid_ > 0) ::kill(pid_, sig);
    }
    // Waits up to `timeout`, then kills. Bounded either way.
    Outcome wait(std::chrono::milliseconds timeout = 20s) {
        Outcome r;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        int st = 0;
        while (pid_ > 0) {
            const pid_t w = ::waitpid(pid_, &st, WNOHANG);
            if (w == pid_) {
                pid_ = -1;
                if (WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                ADD_FAILURE() << "child did not finish in time; killed";
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &st, 0);
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(1ms);
        }
        r.elapsed = std::chrono::steady_clock::now() - start_;
        r.err = slurp(err_);
        r.out = slurp(out_);
        return r;
    }

    pid_t pid() const { return pid_; }

  private:
    static inline int count_ = 0;
    std::string out_, err_;
    pid_t pid_ = -1;
    std::chrono::steady_clock::time_point start_;
};

Outcome run(const TempDir& dir, std::vector<std::string> argv, const std::string& stdin_path = "") {
    Child c(dir, std::move(argv), stdin_path);
    EXPECT_TRUE(c.started());
    return c.wait();
}

Outcome inject(const TempDir& dir, std::vector<std::string> args,
               const std::string& stdin_path = "") {
    // Built front to back: g++ 12 -O1 sees a null dereference in vector<string>::insert.
    std::vector<std::string> argv;
    argv.reserve(args.size() + 1);
    argv.emplace_back(SHMIFINJECT_BIN);
    for (auto& a : args)
        argv.push_back(std::move(a));
    return run(dir, std::move(argv), stdin_path);
}

bool have_program(const std::string& name) {
    for (const char* d : {"/usr/bin/", "/usr/sbin/", "/bin/", "/usr/local/bin/"})
        if (::access((std::string(d) + name).c_str(), X_OK) == 0) return true;
    return false;
}

// pcap -> pcapng with Wireshark's editcap.
void to_pcapng(const TempDir& dir, const std::string& in, const std::string& out) {
    const Outcome r = run(dir, {"editcap", "-F", "pcapng", in, out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A pcapng file starts with a Section Header Block, type 0x0a0d0d0a.
    const std::string head = slurp(out).substr(0, 4);
    ASSERT_EQ(head, std::string("\x0a\x0d\x0d\x0a", 4));
}

// ---- the bus side --------------------------------------------------------------------------

struct Seen {
    std::vector<Bytes> frames;
    std::vector<std::uint64_t> senders;
    std::vector<std::uint64_t> times_ns;
};

// Everything past the cursor (the writer has finished): bounded by `limit` frames.
Seen drain(shmif::Cursor& cursor, std::size_t limit = 10000) {
    Seen seen;
    constexpr std::size_t kBatch = 32, kCap = 4096;
    std::vector<std::byte> storage(kBatch * kCap);
    std::array<shmif::Frame, kBatch> out{};
    while (seen.frames.size() < limit) {
        for (std::size_t i = 0; i < kBatch; ++i)
            out[i] = {.data = storage.data() + i * kCap, .capacity = kCap};
        const std::size_t n = cursor.receive(out);
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(out[i].len, out[i].orig_len);
            seen.frames.emplace_back(out[i].data, out[i].data + out[i].len);
            seen.senders.push_back(out[i].sender);
            seen.times_ns.push_back(out[i].time_ns);
        }
    }
    return seen;
}

std::vector<Bytes> bytes_of(const std::vector<CapturedFrame>& frames) {
    std::vector<Bytes> out;
    for (const auto& f : frames)
        out.push_back(f.bytes);
    return out;
}

shmif::Bus make_bus(const std::string& path, shmif::Format format) {
    auto bus = shmif::Bus::create(path, {.format = format, .exclusive = true});
    if (!bus) throw std::runtime_error("cannot create " + path);
    return std::move(*bus);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string fmt_sender(std::uint64_t id) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "sender 0x%llx", static_cast<unsigned long long>(id));
    return buf;
}

// ---- round trips, both formats, pcap and pcapng --------------------------------------------

enum class Input { pcap, pcap_nano, pcapng };

struct RoundTripCase {
    shmif::Format format;
    Input input;
};

void PrintTo(const RoundTripCase& c, std::ostream* os) {
    *os << shmif::format_name(c.format) << " bus, "
        << (c.input == Input::pcap        ? "pcap"
            : c.input == Input::pcap_nano ? "pcap (ns)"
                                          : "pcapng");
}

class RoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, EveryFrameArrivesByteIdenticalWithTheSenderGiven) {
    const auto [format, input] = GetParam();
    if (input == Input::pcapng && !have_program("editcap")) GTEST_SKIP() << "editcap missing";
    TempDir dir;
    const auto want = frames(150);
    std::string capture = dir.file("in.pcap");
    write_pcap(capture, want, DLT_EN10MB, input != Input::pcap);
    if (input == Input::pcapng) {
        to_pcapng(dir, capture, dir.file("in.pcapng"));
        capture = dir.file("in.pcapng");
    }
    ASSERT_EQ(read_capture(capture), bytes_of(want));  // the file says what we meant
    auto bus = make_bus(dir.file("bus"), format);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r =
        inject(dir, {capture, dir.file("bus"), "--topspeed", "--sender", "0x1234abcd"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "150 frames,")) << r.err;
    EXPECT_TRUE(contains(r.err, "sender 0x1234abcd")) << r.err;
    EXPECT_TRUE(contains(r.err, "0 skipped oversize, 0 truncated")) << r.err;

    const Seen seen = drain(cursor);
    EXPECT_EQ(cursor.stats().overruns, 0U);
    ASSERT_EQ(seen.frames.size(), want.size());
    EXPECT_EQ(seen.frames, bytes_of(want));
    for (std::uint64_t s : seen.senders)
        ASSERT_EQ(s, 0x1234abcdU);
}

INSTANTIATE_TEST_SUITE_P(Inputs, RoundTrip,
                         ::testing::Values(RoundTripCase{shmif::Format::native, Input::pcap},
                                           RoundTripCase{shmif::Format::native, Input::pcap_nano},
                                           RoundTripCase{shmif::Format::native, Input::pcapng},
                                           RoundTripCase{shmif::Format::netbsd, Input::pcap},
                                           RoundTripCase{shmif::Format::netbsd, Input::pcap_nano},
                                           RoundTripCase{shmif::Format::netbsd, Input::pcapng}),
                         [](const auto& tpi) {
                             const char* in = tpi.param.input == Input::pcap        ? "pcap"
                                              : tpi.param.input == Input::pcap_nano ? "pcap_nano"
                                                                                    : "pcapng";
                             return std::string(shmif::format_name(tpi.param.format)) + "_" + in;
                         });

TEST(ShmifInject, DecimalSenderAndADefaultRandomOne) {
    TempDir dir;
    const auto want = frames(3);
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed", "--sender",
                             "18446744073709551615"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 3U);
    for (std::uint64_t s : seen.senders)
        EXPECT_EQ(s, UINT64_MAX);

    // No --sender: a random non-zero id, the same for every frame, the one the summary names,
    // and another one the next time.
    std::vector<std::uint64_t> ids;
    for (int run_no = 0; run_no < 2; ++run_no) {
        r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        seen = drain(cursor);
        ASSERT_EQ(seen.frames.size(), 3U);
        EXPECT_NE(seen.senders[0], 0U);
        EXPECT_EQ(seen.senders[1], seen.senders[0]);
        EXPECT_EQ(seen.senders[2], seen.senders[0]);
        EXPECT_TRUE(contains(r.err, fmt_sender(seen.senders[0]))) << r.err;
        ids.push_back(seen.senders[0]);
    }
    EXPECT_NE(ids[0], ids[1]);
}

// ---- pacing --------------------------------------------------------------------------------

double span_s(const Seen& seen) {
    return static_cast<double>(seen.times_ns.back() - seen.times_ns.front()) / 1e9;
}

TEST(ShmifInject, PpsPacesTheFrames) {
    TempDir dir;
    const auto want = frames(200, 0);  // all at one instant: only --pps may space them
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--pps", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 200U);
    EXPECT_EQ(seen.frames, bytes_of(want));
    // 199 intervals of 1 ms: not top speed, not wildly slow either.
    EXPECT_GE(r.elapsed.count(), 0.15);
    EXPECT_LE(r.elapsed.count(), 1.0);
    EXPECT_GE(span_s(seen), 0.15);
    EXPECT_LE(span_s(seen), 1.0);
}

TEST(ShmifInject, MbpsPacesByBytes) {
    TempDir dir;
    // 100 frames of 1250 bytes = 10,000 bits each; at 10 Mbit/s, 1 ms apart: ~99 ms in all.
    std::vector<CapturedFrame> want;
    for (std::uint32_t i = 0; i < 100; ++i)
        want.push_back({ethernet_frame(1250, i), 1'700'000'000'000'000'000, 0});
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::netbsd);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--mbps", "10"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 100U);
    EXPECT_EQ(seen.frames, bytes_of(want));
    EXPECT_GE(span_s(seen), 0.075);
    EXPECT_LE(span_s(seen), 1.0);
}

// The capture's own gaps, with --realtime and by default (as tcpreplay does).
class Realtime : public ::testing::TestWithParam<bool> {};

TEST_P(Realtime, ReproducesTheCapturedGaps) {
    const bool explicit_flag = GetParam();
    TempDir dir;
    const auto want = frames(5, 50'000'000);  // 50 ms apart
    write_pcap(dir.file("in.pcap"), want, DLT_EN10MB, true);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    std::vector<std::string> args{dir.file("in.pcap"), dir.file("bus")};
    if (explicit_flag) args.emplace_back("--realtime");
    const Outcome r = inject(dir, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 5U);
    EXPECT_EQ(seen.frames, bytes_of(want));
    // The schedule is absolute (frame i at start + its captured offset), so a frame sent
    // late on a loaded machine shortens the gap after it: check each frame's offset from
    // the first. The first may itself be a little late: 20 ms of slack, far from the
    // 50 ms per frame that an unpaced send would miss.
    for (std::size_t i = 1; i < seen.times_ns.size(); ++i) {
        const std::uint64_t offset = seen.times_ns[i] - seen.times_ns[0];
        EXPECT_GE(offset, i * 50'000'000U - 20'000'000U) << "frame " << i << " early";
        EXPECT_LE(offset, i * 50'000'000U + 1'000'000'000U) << "frame " << i << " late";
    }
    EXPECT_GE(r.elapsed.count(), 0.18);
}

INSTANTIATE_TEST_SUITE_P(FlagOrDefault, Realtime, ::testing::Values(true, false),
                         [](const auto& tpi) { return tpi.param ? "flag" : "default"; });

TEST(ShmifInject, LoopSendsTheCaptureThatManyTimes) {
    TempDir dir;
    const auto want = frames(10);
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::netbsd);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r =
        inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed", "--loop", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "30 frames,")) << r.err;
    const Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 30U);
    for (std::size_t i = 0; i < 30; ++i)
        ASSERT_EQ(seen.frames[i], want[i % 10].bytes) << "frame " << i;
}

// ---- odd frames ----------------------------------------------------------------------------

TEST(ShmifInject, OversizeFramesAreSkippedAndCounted) {
    TempDir dir;
    auto in = frames(6);
    in[3].bytes = ethernet_frame(3000, 3);  // NetBSD buses take at most 1518
    write_pcap(dir.file("in.pcap"), in);
    auto bus = make_bus(dir.file("bus"), shmif::Format::netbsd);
    ASSERT_EQ(bus.max_frame(), 1518U);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "frame 4: 3000 bytes")) << r.err;
    EXPECT_TRUE(contains(r.err, "5 frames,")) << r.err;
    EXPECT_TRUE(contains(r.err, "1 skipped oversize, 0 truncated")) << r.err;
    const Seen seen = drain(cursor);
    auto expected = bytes_of(in);
    expected.erase(expected.begin() + 3);
    EXPECT_EQ(seen.frames, expected);
}

// The bus refuses frames without a whole Ethernet header; the injector skips them before a
// batch is formed, so the frames around them all arrive (found by fuzz_pcap_reader).
TEST(ShmifInject, FramesShorterThanAnEthernetHeaderAreSkippedAndCounted) {
    TempDir dir;
    auto in = frames(6);
    in[1].bytes.resize(13);
    in[4].bytes.clear();
    write_pcap(dir.file("in.pcap"), in);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "frame 2: 13 bytes is shorter than an Ethernet header (14)"))
        << r.err;
    EXPECT_TRUE(contains(r.err, "frame 5: 0 bytes")) << r.err;
    EXPECT_TRUE(contains(r.err, "4 frames,")) << r.err;
    EXPECT_TRUE(contains(r.err, ", 2 skipped short")) << r.err;
    const Seen seen = drain(cursor);
    auto expected = bytes_of(in);
    expected.erase(expected.begin() + 4);
    expected.erase(expected.begin() + 1);
    EXPECT_EQ(seen.frames, expected);
}

TEST(ShmifInject, SnaplenTruncatedFramesAreSentAsCaptured) {
    TempDir dir;
    auto in = frames(4);
    in[1].bytes = ethernet_frame(96, 1);
    in[1].wire_len = 1514;
    in[2].bytes = ethernet_frame(64, 2);
    in[2].wire_len = 900;
    write_pcap(dir.file("in.pcap"), in);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "frame 2: only 96 of its 1514 bytes")) << r.err;
    EXPECT_TRUE(contains(r.err, "0 skipped oversize, 2 truncated")) << r.err;
    const Seen seen = drain(cursor);
    EXPECT_EQ(seen.frames, bytes_of(in));
}

// ---- broken input --------------------------------------------------------------------------

TEST(ShmifInject, TruncatedFileFailsNamingTheFrame) {
    TempDir dir;
    const auto in = frames(5);
    write_pcap(dir.file("in.pcap"), in);
    const std::uintmax_t full = file_size(dir.file("in.pcap"));
    const std::uintmax_t last = 16 + in[4].bytes.size();  // record header + data
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    // Cut inside the last frame's data: four frames arrive, then the error.
    cut_file(dir.file("in.pcap"), full - last + 16 + 10);
    Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("in.pcap") + ": ")) << r.err;
    EXPECT_TRUE(contains(r.err, "truncated")) << r.err;
    EXPECT_TRUE(contains(r.err, "after frame 4")) << r.err;
    Seen seen = drain(cursor);
    auto expected = bytes_of(in);
    expected.resize(4);
    EXPECT_EQ(seen.frames, expected);

    // Cut inside the last frame's record header.
    cut_file(dir.file("in.pcap"), full - last + 7);
    r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "after frame 4")) << r.err;
    EXPECT_EQ(drain(cursor).frames.size(), 4U);

    // Cut inside the file header.
    cut_file(dir.file("in.pcap"), 10);
    r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("in.pcap") + ": ")) << r.err;
    EXPECT_EQ(drain(cursor).frames.size(), 0U);
}

TEST(ShmifInject, TruncatedPcapngFailsNamingTheFrame) {
    if (!have_program("editcap")) GTEST_SKIP() << "editcap missing";
    TempDir dir;
    const auto in = frames(5);
    write_pcap(dir.file("in.pcap"), in);
    to_pcapng(dir, dir.file("in.pcap"), dir.file("in.pcapng"));
    // The last Enhanced Packet Block: 28 bytes of header, the data padded to 4, 4 of trailer
    // (editcap may add options; cutting 20 bytes into the data is inside the block anyway).
    const std::uintmax_t full = file_size(dir.file("in.pcapng"));
    cut_file(dir.file("in.pcapng"), full - in[4].bytes.size() + 20);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    const Outcome r = inject(dir, {dir.file("in.pcapng"), dir.file("bus"), "--topspeed"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "after frame 4")) << r.err;
    EXPECT_EQ(drain(cursor).frames.size(), 4U);
}

TEST(ShmifInject, NonEthernetCapturesAreRefusedByLinkTypeName) {
    TempDir dir;
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});
    for (const auto& [dlt, name] : {std::pair{DLT_LINUX_SLL, "LINUX_SLL"},
                                    {DLT_RAW, "RAW"},
                                    {DLT_IEEE802_11_RADIO, "IEEE802_11_RADIO"}}) {
        write_pcap(dir.file("in.pcap"), frames(2), dlt);
        const Outcome r = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--topspeed"});
        EXPECT_EQ(r.exit_code, 1) << name;
        EXPECT_TRUE(contains(r.err, std::string("link type ") + name + " (")) << r.err;
        EXPECT_TRUE(contains(r.err, "not Ethernet")) << r.err;
    }
    EXPECT_EQ(drain(cursor).frames.size(), 0U);
}

TEST(ShmifInject, MissingFilesAndNonBusesFailWithThePath) {
    TempDir dir;
    write_pcap(dir.file("in.pcap"), frames(2));
    Outcome r = inject(dir, {dir.file("nope.pcap"), dir.file("bus")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("nope.pcap") + ": ")) << r.err;

    r = inject(dir, {dir.file("in.pcap"), dir.file("nobus")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("nobus") + ": ")) << r.err;

    // A pcap file is not a bus (and a bus is not a capture).
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    r = inject(dir, {dir.file("in.pcap"), dir.file("in.pcap")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("in.pcap") + ": ")) << r.err;
    r = inject(dir, {dir.file("bus"), dir.file("bus")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + dir.file("bus") + ": ")) << r.err;
}

TEST(ShmifInject, UsageErrorsExitTwo) {
    TempDir dir;
    write_pcap(dir.file("in.pcap"), frames(2));
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    const std::string in = dir.file("in.pcap"), b = dir.file("bus");
    const std::vector<std::vector<std::string>> bad{
        {in},
        {in, b, "--pps", "100", "--topspeed"},
        {in, b, "--pps", "100", "--mbps", "10"},
        {in, b, "--realtime", "--mbps", "10"},
        {in, b, "--pps", "0"},
        {in, b, "--sender", "0"},
        {in, b, "--sender", "0xzz"},
        {in, b, "--sender", "18446744073709551616"},
        {"-", b, "--loop", "2"},
        {in, b, "--bogus"},
    };
    for (const auto& args : bad) {
        const Outcome r = inject(dir, args);
        EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
        EXPECT_TRUE(r.err.starts_with("shmifinject: ")) << r.err;
    }
    const Outcome help = inject(dir, {"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(contains(help.out, "--realtime")) << help.out;
}

// ---- standard input ------------------------------------------------------------------------

TEST(ShmifInject, ReadsStandardInputFromAFileAndAPipe) {
    TempDir dir;
    const auto want = frames(40);
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::netbsd);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    Outcome r = inject(dir, {"-", dir.file("bus"), "--topspeed"}, dir.file("in.pcap"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(drain(cursor).frames, bytes_of(want));

    // `cat f.pcap | shmifinject - BUS`, default pacing (1 ms gaps).
    r = run(dir, {"/bin/sh", "-c",
                  "cat '" + dir.file("in.pcap") + "' | '" SHMIFINJECT_BIN "' - '" +
                      dir.file("bus") + "'"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(drain(cursor).frames, bytes_of(want));
}

// A slow producer on a pipe: each frame goes out when it arrives, not when a batch is full.
TEST(ShmifInject, FramesFromASlowPipeAreNotHeldBack) {
    TempDir dir;
    const auto want = frames(3);
    write_pcap(dir.file("in.pcap"), want);
    const std::string pcap = slurp(dir.file("in.pcap"));
    const std::size_t first_end = 24 + 16 + want[0].bytes.size();
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    Child child(dir, {"/bin/sh", "-c",
                      "exec '" SHMIFINJECT_BIN "' - '" + dir.file("bus") + "' --topspeed < '" +
                          dir.file("fifo") + "'"});
    ASSERT_TRUE(child.started());
    // Opening a fifo for writing fails with ENXIO until the reader has it open.
    int fd = -1;
    for (int i = 0; i < 5000 && fd < 0; ++i) {
        fd = ::open(dir.file("fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) std::this_thread::sleep_for(1ms);
    }
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::fcntl(fd, F_SETFL, 0), 0);
    ASSERT_EQ(::write(fd, pcap.data(), first_end), static_cast<ssize_t>(first_end));
    // The first frame must reach the bus while the pipe stays open and quiet.
    std::size_t got = 0;
    std::vector<std::byte> buf(2048);
    shmif::Frame f{.data = buf.data(), .capacity = buf.size()};
    auto r = cursor.receive_wait(std::span(&f, 1), 5s);
    if (r) got = *r;
    EXPECT_EQ(got, 1U);
    if (got == 1) {
        EXPECT_EQ(Bytes(f.data, f.data + f.len), want[0].bytes);
    }
    const std::size_t rest = pcap.size() - first_end;
    EXPECT_EQ(::write(fd, pcap.data() + first_end, rest), static_cast<ssize_t>(rest));
    ::close(fd);
    const Outcome done = child.wait();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    const Seen seen = drain(cursor);
    ASSERT_EQ(seen.frames.size(), 2U);
    EXPECT_EQ(seen.frames[0], want[1].bytes);
    EXPECT_EQ(seen.frames[1], want[2].bytes);
}

// ---- signals -------------------------------------------------------------------------------

class Signals : public ::testing::TestWithParam<int> {};

TEST_P(Signals, StopCleanlyWithTheSummary) {
    TempDir dir;
    write_pcap(dir.file("in.pcap"), frames(1000));
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    shmif::Cursor cursor(bus, {.start = shmif::StartAt::next});

    Child child(dir, {SHMIFINJECT_BIN, dir.file("in.pcap"), dir.file("bus"), "--pps", "100"});
    ASSERT_TRUE(child.started());
    // Let a few frames out (10 s in all at 100 pps), then stop it.
    std::vector<std::byte> buf(2048);
    shmif::Frame f{.data = buf.data(), .capacity = buf.size()};
    std::size_t seen_before = 0;
    for (int i = 0; i < 500 && seen_before < 5; ++i) {
        auto r = cursor.receive_wait(std::span(&f, 1), 10ms);
        if (r) seen_before += *r;
    }
    ASSERT_EQ(seen_before, 5U);
    child.signal(GetParam());
    const Outcome r = child.wait(5s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "; interrupted")) << r.err;
    const std::size_t total = seen_before + drain(cursor).frames.size();
    EXPECT_LT(total, 1000U);
    EXPECT_TRUE(contains(r.err, "shmifinject: " + std::to_string(total) + " frames,")) << r.err;
}

INSTANTIATE_TEST_SUITE_P(IntTerm, Signals, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& tpi) { return tpi.param == SIGINT ? "INT" : "TERM"; });

// ---- with shmifdump ------------------------------------------------------------------------

TEST(ShmifInject, ShmifdumpCapturesWhatWasInjected) {
#ifndef SHMIFDUMP_BIN
    GTEST_SKIP() << "shmifdump is not built";
#else
    if (::access(SHMIFDUMP_BIN, X_OK) != 0) GTEST_SKIP() << SHMIFDUMP_BIN " is not built";
    TempDir dir;
    const auto want = frames(50);
    write_pcap(dir.file("in.pcap"), want);
    auto bus = make_bus(dir.file("bus"), shmif::Format::native);
    Child dump(dir, {SHMIFDUMP_BIN, dir.file("bus"), "-w", dir.file("out.pcap"), "-c", "50"});
    ASSERT_TRUE(dump.started());
    // Inject only once shmifdump follows the bus: its cursor asleep on the bus (a native bus
    // counts its sleeping readers), or at least the bus mapped and a moment for the cursor.
    const auto attach_deadline = std::chrono::steady_clock::now() + 5s;
    std::optional<std::chrono::steady_clock::time_point> mapped_at;
    bool attached = false;
    while (!attached && std::chrono::steady_clock::now() < attach_deadline) {
        if (!mapped_at &&
            contains(slurp("/proc/" + std::to_string(dump.pid()) + "/maps"), dir.file("bus")))
            mapped_at = std::chrono::steady_clock::now();
        attached = bus.info().sleeping_readers > 0 ||
                   (mapped_at && std::chrono::steady_clock::now() > *mapped_at + 500ms);
        if (!attached) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(attached) << "shmifdump never mapped the bus";
    const Outcome inj = inject(dir, {dir.file("in.pcap"), dir.file("bus"), "--pps", "2000"});
    ASSERT_EQ(inj.exit_code, 0) << inj.err;
    const Outcome d = dump.wait(10s);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(read_capture(dir.file("out.pcap")), read_capture(dir.file("in.pcap")));
    EXPECT_EQ(read_capture(dir.file("out.pcap")), bytes_of(want));
#endif
}

}  // namespace
