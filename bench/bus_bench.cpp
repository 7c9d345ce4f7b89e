// bus_bench: throughput and round-trip figures of libshmif that the peers' protocol
// (../shared/bench-peers, driven by run.sh) cannot express: zero-copy receive, several
// readers on one bus, and the reader's spin policy. Prints one table; see bench/README.md.
//
// Every role (writer, reader, pinger, ponger) opens the bus by path itself and pins itself to
// a CPU. By default each role is a forked process (as real users of a bus are); --threads
// runs them as threads of this process instead. Results travel through one shared anonymous
// mapping in both modes.
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace {

using namespace std::chrono_literals;

std::uint64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

void cpu_relax() {
    __builtin_ia32_pause();
}

// Frame layout shared with ../shared/bench-peers/bench.c: dst(6) src(6) ethertype(2) seq(8).
constexpr std::size_t kSeqOff = 14;
constexpr std::size_t kMaxFrame = 2048;
constexpr int kMaxBatch = 64;
constexpr int kMaxReaders = 3;
constexpr std::size_t kMaxSamples = 200'000;

void put64(std::byte* p, std::uint64_t v) {
    std::memcpy(p, &v, 8);
}
std::uint64_t get64(const std::byte* p) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    return v;
}

void make_frame(std::byte* buf, std::size_t size) {
    std::memset(buf, 0, size);
    static constexpr std::uint8_t hdr[14] = {2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x88, 0xb5};
    std::memcpy(buf, hdr, sizeof hdr);
}

// ---------------------------------------------------------------- configuration

enum class ReadMode { copy, peek };
enum class SpinPolicy { busy, sleep, adaptive };

struct Config {
    bool threads = false;
    bool quick = false;
    double secs = 2.0;      // per throughput test
    double rtt_secs = 3.0;  // cap per ping-pong test
    std::size_t rtt_count = 20'000;
    std::size_t rtt_warmup = 500;
    std::uint64_t ring = 16ULL << 20;  // native ring bytes (as tp_shmif.c)
    int batch = 32;
    int cpu_a = 0;
    int cpu_b = 1;
    std::string formats = "native,netbsd";
    std::string only = "alone,tput,fanout,rtt";
    std::string dir = "/dev/shm";
    std::string csv;
    bool sweep = false;
};
Config cfg;

bool wanted(const std::string& list, const std::string& item) {
    return ("," + list + ",").find("," + item + ",") != std::string::npos;
}

// ---------------------------------------------------------------- shared results

struct RoleResult {
    std::uint64_t frames = 0;  // sent (writer) or delivered (reader)
    std::uint64_t bytes = 0;
    std::uint64_t t_first = 0, t_last = 0;  // first and last delivery (reader), start/end (writer)
    std::uint64_t lost = 0;                 // cursor's exact count of frames overwritten unread
    std::uint64_t overruns = 0;             // times lapped
    std::uint64_t torn = 0;                 // peek: views that failed still_valid()
    std::uint64_t ooo = 0;                  // sequence numbers that went backwards (must stay 0)
    std::uint64_t sleeps = 0;               // reader went to sleep in receive_wait
    std::uint64_t batches = 0, wakeups = 0, contended = 0;  // writer stats
    int ok = 0;
};

struct Control {
    std::atomic<int> ready{0};
    std::atomic<int> writer_done{0};
    std::atomic<int> stop{0};
    RoleResult writer;
    RoleResult readers[kMaxReaders];
    std::uint64_t nsamples = 0;
    std::uint64_t lost_pings = 0;
    std::uint64_t samples[kMaxSamples];
};

Control* ctl = nullptr;

Control* map_control() {
    void* p =
        ::mmap(nullptr, sizeof(Control), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        std::perror("mmap");
        std::exit(1);
    }
    return new (p) Control;
}

void reset_control() {
    ctl->~Control();
    new (ctl) Control;
}

void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(cpu), &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}

// Runs each role as a process (default) or a thread, and waits for all of them; a process
// still running `limit_s` seconds later is killed (only the ones we forked).
void run_roles(const std::vector<std::function<void()>>& roles, double limit_s) {
    if (cfg.threads) {
        std::vector<std::thread> ts;
        for (const auto& r : roles)
            ts.emplace_back(r);
        for (auto& t : ts)
            t.join();  // every role bounds its own run time
        return;
    }
    std::fflush(stdout);
    std::vector<pid_t> pids;
    for (const auto& r : roles) {
        pid_t pid = ::fork();
        if (pid == 0) {
            r();
            std::fflush(stdout);
            ::_exit(0);
        }
        if (pid < 0) {
            std::perror("fork");
            continue;
        }
        pids.push_back(pid);
    }
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(limit_s * 1e9);
    for (pid_t pid : pids) {
        for (;;) {
            int status = 0;
            pid_t got = ::waitpid(pid, &status, WNOHANG);
            if (got == pid || got < 0) break;
            if (now_ns() > deadline) {
                std::fprintf(stderr, "bus_bench: role %d overran, killing it\n", pid);
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
                break;
            }
            ::usleep(2000);
        }
    }
}

bool wait_ready(int n, double secs) {
    const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(secs * 1e9);
    while (ctl->ready.load(std::memory_order_acquire) < n) {
        if (now_ns() > deadline) return false;
        ::usleep(100);
    }
    return true;
}

std::chrono::nanoseconds spin_of(SpinPolicy p) {
    switch (p) {
        case SpinPolicy::busy:
            return std::chrono::hours(
                1);  // capped by each call's timeout: never sleeps in practice
        case SpinPolicy::sleep:
            return 0ns;
        case SpinPolicy::adaptive:
            break;
    }
    return shmif::CursorOptions{}.spin;
}

const char* spin_name(SpinPolicy p) {
    return p == SpinPolicy::busy ? "busy" : p == SpinPolicy::sleep ? "sleep" : "adaptive";
}

// ---------------------------------------------------------------- roles

// Sends batches of `batch` frames of `size` bytes for `secs`, each frame numbered.
void writer_role(const std::string& path, int cpu, std::size_t size, double secs, int readers) {
    pin(cpu);
    auto bus = shmif::Bus::open(path);
    RoleResult& res = ctl->writer;
    if (!bus) {
        std::fprintf(stderr, "writer: %s\n", shmif::describe(bus.error()).c_str());
        ctl->writer_done.store(1, std::memory_order_release);
        return;
    }
    shmif::Writer w(*bus);
    const auto batch = static_cast<std::size_t>(cfg.batch);
    std::vector<std::byte> bufs(batch * kMaxFrame);
    std::vector<shmif::FrameBytes> frames;
    for (std::size_t i = 0; i < batch; ++i) {
        make_frame(&bufs[i * kMaxFrame], size);
        frames.emplace_back(&bufs[i * kMaxFrame], size);
    }
    if (!wait_ready(readers, 10.0)) std::fprintf(stderr, "writer: readers not ready\n");
    std::uint64_t seq = 0;
    const std::uint64_t t0 = now_ns();
    const std::uint64_t deadline = t0 + static_cast<std::uint64_t>(secs * 1e9);
    std::uint64_t now = t0;
    while (now < deadline) {
        for (std::size_t i = 0; i < batch; ++i)
            put64(&bufs[i * kMaxFrame] + kSeqOff, seq + i);
        auto sent = w.send_batch(frames);
        if (!sent) {
            std::fprintf(stderr, "writer: %s\n", shmif::describe(sent.error()).c_str());
            break;
        }
        seq += *sent;
        now = now_ns();
    }
    res.frames = w.stats().frames;
    res.bytes = w.stats().bytes;
    res.batches = w.stats().batches;
    res.wakeups = w.stats().wakeups;
    res.contended = w.stats().lock_contended;
    res.t_first = t0;
    res.t_last = now_ns();
    res.ok = 1;
    ctl->writer_done.store(1, std::memory_order_release);
}

// Counts, checks the order of and (copy mode) copies out everything the writer sends.
void reader_role(const std::string& path, int cpu, int index, ReadMode mode, SpinPolicy spin,
                 double limit_s) {
    pin(cpu);
    RoleResult& res = ctl->readers[index];
    auto bus = shmif::Bus::open(path);
    if (!bus) {
        std::fprintf(stderr, "reader: %s\n", shmif::describe(bus.error()).c_str());
        ctl->ready.fetch_add(1);
        return;
    }
    shmif::CursorOptions opts;
    opts.spin = spin_of(spin);
    shmif::Cursor cur(*bus, opts);
    std::vector<std::byte> bufs(kMaxBatch * kMaxFrame);
    std::vector<shmif::Frame> out(static_cast<std::size_t>(cfg.batch));
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].data = &bufs[i * kMaxFrame];
        out[i].capacity = kMaxFrame;
    }
    std::vector<shmif::FrameView> views(static_cast<std::size_t>(cfg.batch));
    const std::uint64_t hard = now_ns() + static_cast<std::uint64_t>(limit_s * 1e9);
    std::uint64_t last = 0;
    std::uint64_t idle = 0;
    bool any = false;
    ctl->ready.fetch_add(1, std::memory_order_release);
    auto account = [&](std::uint64_t seq, std::size_t len) {
        if (any && seq <= last) ++res.ooo;
        last = seq;
        any = true;
        ++res.frames;
        res.bytes += len;
    };
    for (;;) {
        std::size_t n = 0;
        if (mode == ReadMode::copy) {
            auto r = cur.receive_wait(out, 20ms);
            if (r) {
                n = *r;
                for (std::size_t i = 0; i < n; ++i)
                    account(get64(out[i].data + kSeqOff), out[i].len);
            }
        } else {
            n = cur.peek(views);
            if (n > 0) {
                // Read what a consumer would act on, then confirm it: the oldest view is the
                // first to be overwritten, so if it is intact all of them are.
                std::uint64_t seqs[kMaxBatch];
                for (std::size_t i = 0; i < n; ++i)
                    seqs[i] = get64(views[i].data.data() + kSeqOff);
                if (cur.still_valid(views[0])) {
                    for (std::size_t i = 0; i < n; ++i)
                        account(seqs[i], views[i].data.size());
                } else {
                    res.torn += n;
                }
                cur.advance(n);
            } else if ((++idle & 63) != 0) {
                cpu_relax();
                continue;  // look at the clock and the writer only now and then
            }
        }
        const std::uint64_t now = now_ns();
        if (n > 0) {
            if (res.t_first == 0) res.t_first = now;
            res.t_last = now;
        } else if (ctl->writer_done.load(std::memory_order_acquire) != 0 && !cur.poll()) {
            break;
        }
        if (now > hard) break;
    }
    res.lost = cur.stats().lost_frames;
    res.overruns = cur.stats().overruns;
    res.sleeps = cur.stats().sleeps;
    res.ok = 1;
}

// One end of a ping-pong: a writer, and a cursor that skips what that writer sends.
struct EchoEnd {
    EchoEnd(shmif::Bus b, SpinPolicy spin)
        : bus(std::move(b)),
          writer(bus),
          cursor(bus, {.skip_sender = writer.sender(), .spin = spin_of(spin)}) {}
    shmif::Bus bus;
    shmif::Writer writer;
    shmif::Cursor cursor;
};

std::unique_ptr<EchoEnd> open_echo_end(const std::string& path, SpinPolicy spin) {
    auto bus = shmif::Bus::open(path);
    if (!bus) return nullptr;
    return std::make_unique<EchoEnd>(std::move(*bus), spin);
}

// Echoes every frame back until told to stop.
void ponger_role(const std::string& path, int cpu, SpinPolicy spin, double limit_s) {
    pin(cpu);
    auto end = open_echo_end(path, spin);
    if (!end) {
        ctl->ready.fetch_add(1);
        return;
    }
    shmif::Writer& w = end->writer;
    shmif::Cursor& cur = end->cursor;
    std::vector<std::byte> bufs(kMaxBatch * kMaxFrame);
    std::vector<shmif::Frame> in(static_cast<std::size_t>(cfg.batch));
    std::vector<shmif::FrameBytes> back(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        in[i].data = &bufs[i * kMaxFrame];
        in[i].capacity = kMaxFrame;
    }
    const std::uint64_t hard = now_ns() + static_cast<std::uint64_t>(limit_s * 1e9);
    ctl->ready.fetch_add(1, std::memory_order_release);
    while (ctl->stop.load(std::memory_order_acquire) == 0 && now_ns() < hard) {
        auto r = cur.receive_wait(in, 50ms);
        if (!r || *r == 0) continue;
        for (std::size_t i = 0; i < *r; ++i)
            back[i] = {in[i].data, in[i].len};
        (void)w.send_batch(std::span(back.data(), *r));
    }
}

// One frame out, wait for its echo, record the round trip; `count` after `warmup`.
void pinger_role(const std::string& path, int cpu, SpinPolicy spin, double limit_s) {
    pin(cpu);
    auto end = open_echo_end(path, spin);
    if (!end) {
        ctl->stop.store(1);
        return;
    }
    shmif::Writer& w = end->writer;
    shmif::Cursor& cur = end->cursor;
    std::byte frame[64];
    make_frame(frame, sizeof frame);
    std::byte rx[kMaxFrame];
    shmif::Frame in[1];
    in[0].data = rx;
    in[0].capacity = sizeof rx;
    if (!wait_ready(1, 10.0)) std::fprintf(stderr, "pinger: ponger not ready\n");
    const std::uint64_t hard = now_ns() + static_cast<std::uint64_t>(limit_s * 1e9);
    const std::size_t total = cfg.rtt_warmup + std::min(cfg.rtt_count, kMaxSamples);
    std::uint64_t n = 0;
    for (std::size_t k = 0; k < total && now_ns() < hard; ++k) {
        put64(frame + kSeqOff, k);
        const std::uint64_t t = now_ns();
        if (!w.send({frame, sizeof frame})) {
            ++ctl->lost_pings;
            continue;
        }
        bool ok = false;
        while (!ok) {
            auto r = cur.receive_wait(in, 1s);
            if (!r || *r == 0) break;
            ok = get64(rx + kSeqOff) == k;
        }
        const std::uint64_t te = now_ns();
        if (!ok) {
            if (++ctl->lost_pings > 100) break;
            continue;
        }
        if (k >= cfg.rtt_warmup) ctl->samples[n++] = te - t;
    }
    ctl->nsamples = n;
    ctl->stop.store(1, std::memory_order_release);
}

// ---------------------------------------------------------------- the tests

struct Row {
    Row(std::string f, std::string t, std::string s, std::string m)
        : format(std::move(f)), test(std::move(t)), size(std::move(s)), mode(std::move(m)) {}
    std::string format, test, size, mode;
    double mpps = -1, gbps = -1, loss = -1, med = -1, p99 = -1;
    std::string note;
};

FILE* csv_file = nullptr;

std::string num(double v, int digits) {
    if (v < 0) return "";
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

void print_header() {
    std::printf("%-7s %-38s %-6s %-9s %9s %9s %8s %10s %10s  %s\n", "format", "test", "size",
                "receive", "Mpps", "Gbit/s", "loss%", "RTT med us", "RTT p99 us", "note");
    if (csv_file)
        std::fprintf(csv_file,
                     "format,test,size,receive,mpps,gbps,loss_pct,rtt_med_us,rtt_p99_us,note\n");
}

void emit(const Row& r) {
    std::printf("%-7s %-38s %-6s %-9s %9s %9s %8s %10s %10s  %s\n", r.format.c_str(),
                r.test.c_str(), r.size.c_str(), r.mode.c_str(), num(r.mpps, 3).c_str(),
                num(r.gbps, 3).c_str(), num(r.loss, 2).c_str(), num(r.med, 2).c_str(),
                num(r.p99, 2).c_str(), r.note.c_str());
    std::fflush(stdout);
    if (csv_file) {
        std::fprintf(csv_file, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r.format.c_str(), r.test.c_str(),
                     r.size.c_str(), r.mode.c_str(), num(r.mpps, 3).c_str(), num(r.gbps, 3).c_str(),
                     num(r.loss, 2).c_str(), num(r.med, 2).c_str(), num(r.p99, 2).c_str(),
                     r.note.c_str());
        std::fflush(csv_file);
    }
}

struct BusFile {
    std::string path;
    bool ok = false;
    BusFile(const std::string& fmt, std::uint64_t ring) {
        static int counter = 0;
        path = cfg.dir + "/shmif-bench." + std::to_string(::getpid()) + "." +
               std::to_string(counter++);
        shmif::CreateOptions o;
        o.format = fmt == "netbsd" ? shmif::Format::netbsd : shmif::Format::native;
        if (o.format == shmif::Format::native) o.size = ring + 4096;
        o.exclusive = true;
        auto bus = shmif::Bus::create(path, o);
        if (!bus) {
            std::fprintf(stderr, "bus_bench: create %s: %s\n", path.c_str(),
                         shmif::describe(bus.error()).c_str());
            return;
        }
        ok = true;
    }
    ~BusFile() { ::unlink(path.c_str()); }
    BusFile(const BusFile&) = delete;
    BusFile& operator=(const BusFile&) = delete;
};

double rate(std::uint64_t n, std::uint64_t t0, std::uint64_t t1) {
    return t1 > t0 ? static_cast<double>(n) / (static_cast<double>(t1 - t0) / 1e9) : 0.0;
}

std::string ring_label(const std::string& fmt, std::uint64_t ring) {
    if (fmt == "netbsd") return "ring 1MiB";
    return "ring " + std::to_string(ring >> 20) + "MiB";
}

// The writer alone, nobody reading: the ceiling of the send path.
void test_alone(const std::string& fmt, std::size_t size) {
    BusFile bus(fmt, cfg.ring);
    if (!bus.ok) return;
    reset_control();
    const double secs = cfg.secs / 2;
    run_roles({[&] { writer_role(bus.path, cfg.cpu_a, size, secs, 0); }}, secs + 10);
    const RoleResult& w = ctl->writer;
    const double pps = rate(w.frames, w.t_first, w.t_last);
    Row r{fmt, "writer alone batch " + std::to_string(cfg.batch), std::to_string(size), "-"};
    r.mpps = pps / 1e6;
    r.gbps = pps * static_cast<double>(size) * 8 / 1e9;
    r.note = ring_label(fmt, cfg.ring) + " ns/frame=" + num(1e9 / pps, 1);
    emit(r);
}

// One writer (CPU a) and `readers` readers (all on CPU b).
void test_tput(const std::string& fmt, std::size_t size, ReadMode mode, int readers,
               std::uint64_t ring, const std::string& label) {
    BusFile bus(fmt, ring);
    if (!bus.ok) return;
    reset_control();
    std::vector<std::function<void()>> roles;
    const double limit = cfg.secs + 8;
    for (int i = 0; i < readers; ++i)
        roles.emplace_back(
            [&, i] { reader_role(bus.path, cfg.cpu_b, i, mode, SpinPolicy::adaptive, limit); });
    roles.emplace_back([&] { writer_role(bus.path, cfg.cpu_a, size, cfg.secs, readers); });
    run_roles(roles, limit + 2);
    const RoleResult& w = ctl->writer;
    Row row{fmt, label, std::to_string(size), mode == ReadMode::copy ? "copy" : "peek"};
    if (!w.ok) {
        row.note = "writer failed";
        emit(row);
        return;
    }
    double sum_pps = 0, worst_loss = 0;
    std::uint64_t lost = 0, ooo = 0, torn = 0, sleeps = 0, overruns = 0, accounted = 0;
    std::string per;
    for (int i = 0; i < readers; ++i) {
        const RoleResult& r = ctl->readers[i];
        const double pps = rate(r.frames, r.t_first, r.t_last);
        sum_pps += pps;
        const double loss =
            w.frames ? 100.0 * static_cast<double>(w.frames - std::min(w.frames, r.frames)) /
                           static_cast<double>(w.frames)
                     : 0;
        worst_loss = std::max(worst_loss, loss);
        lost += r.lost;
        ooo += r.ooo;
        torn += r.torn;
        sleeps += r.sleeps;
        overruns += r.overruns;
        if (r.frames + r.lost + r.torn == w.frames) ++accounted;
        if (readers > 1)
            per +=
                " r" + std::to_string(i) + "=" + num(pps / 1e6, 2) + "Mpps/" + num(loss, 1) + "%";
    }
    const double avg = sum_pps / readers;
    row.mpps = avg / 1e6;
    row.gbps = avg * static_cast<double>(size) * 8 / 1e9;
    row.loss = worst_loss;
    const double wpps = rate(w.frames, w.t_first, w.t_last);
    row.note = ring_label(fmt, ring) + " sent=" + std::to_string(w.frames) +
               " writer=" + num(wpps / 1e6, 2) + "Mpps";
    if (readers > 1) row.note += per;
    if (fmt == "native") {
        row.note += " lost=" + std::to_string(lost);
        // native cursors count loss exactly: delivered + lost (+ torn) must equal sent
        row.note += accounted == static_cast<std::uint64_t>(readers) ? " (exact)" : " (MISMATCH)";
    }
    if (torn) row.note += " torn=" + std::to_string(torn);
    if (overruns) row.note += " overruns=" + std::to_string(overruns);
    if (sleeps)
        row.note += " sleeps=" + std::to_string(sleeps) + " wakeups=" + std::to_string(w.wakeups);
    if (w.contended) row.note += " lock_contended=" + std::to_string(w.contended);
    if (ooo) row.note += " OUT-OF-ORDER=" + std::to_string(ooo);
    emit(row);
}

void test_rtt(const std::string& fmt, SpinPolicy spin, bool same_core) {
    BusFile bus(fmt, cfg.ring);
    if (!bus.ok) return;
    reset_control();
    const int cpu_pong = same_core ? cfg.cpu_a : cfg.cpu_b;
    const double limit = cfg.rtt_secs + 2;
    run_roles({[&] { ponger_role(bus.path, cpu_pong, spin, limit + 1); },
               [&] { pinger_role(bus.path, cfg.cpu_a, spin, cfg.rtt_secs); }},
              limit + 4);
    Row row{fmt,
            std::string("pingpong ") + (same_core ? "same-core" : "cross-core") + " " +
                spin_name(spin) + " readers",
            "64", "copy"};
    const std::uint64_t n = ctl->nsamples;
    if (n == 0) {
        row.note = "no samples, lost=" + std::to_string(ctl->lost_pings);
        emit(row);
        return;
    }
    std::sort(ctl->samples, ctl->samples + n);
    row.med = static_cast<double>(ctl->samples[n / 2]) / 1e3;
    row.p99 = static_cast<double>(ctl->samples[n * 99 / 100]) / 1e3;
    row.note = "n=" + std::to_string(n) + " lost=" + std::to_string(ctl->lost_pings) +
               " min=" + num(static_cast<double>(ctl->samples[0]) / 1e3, 2) +
               " max=" + num(static_cast<double>(ctl->samples[n - 1]) / 1e3, 1);
    emit(row);
}

void usage() {
    std::printf(
        "usage: shmif-bench [options]\n"
        "  --quick            ~5 s in all (default ~50 s)\n"
        "  --threads          roles as threads of one process (default: forked processes)\n"
        "  --secs S           seconds per throughput test (default 2)\n"
        "  --rtt-count N      measured round trips per ping-pong test (default 20000)\n"
        "  --ring BYTES       native ring size, k/m/g suffix (default 16m)\n"
        "  --batch N          frames per send batch and receive call (default 32)\n"
        "  --format LIST      native,netbsd (default both)\n"
        "  --only LIST        alone,tput,fanout,rtt (default all)\n"
        "  --sweep            also 1w1r and 1w3r over ring sizes 1,2,4,16,64,256 MiB (native)\n"
        "  --cpus A,B         writer/pinger on A, readers/ponger on B (default 0,1)\n"
        "  --dir DIR          where bus files go (default /dev/shm)\n"
        "  --csv FILE         also write the rows as CSV\n");
}

std::uint64_t parse_size(const char* s) {
    char* end = nullptr;
    std::uint64_t v = std::strtoull(s, &end, 0);
    if (end != nullptr && (*end == 'k' || *end == 'K')) v <<= 10;
    if (end != nullptr && (*end == 'm' || *end == 'M')) v <<= 20;
    if (end != nullptr && (*end == 'g' || *end == 'G')) v <<= 30;
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return args[++i].c_str();
        };
        if (a == "--quick") {
            cfg.quick = true;
        } else if (a == "--threads") {
            cfg.threads = true;
        } else if (a == "--procs") {
            cfg.threads = false;
        } else if (a == "--secs") {
            cfg.secs = std::atof(val());
        } else if (a == "--rtt-count") {
            cfg.rtt_count = std::strtoull(val(), nullptr, 0);
        } else if (a == "--ring") {
            cfg.ring = parse_size(val());
        } else if (a == "--batch") {
            cfg.batch = std::clamp(std::atoi(val()), 1, kMaxBatch);
        } else if (a == "--format") {
            cfg.formats = val();
        } else if (a == "--only") {
            cfg.only = val();
        } else if (a == "--sweep") {
            cfg.sweep = true;
        } else if (a == "--cpus") {
            const char* v = val();
            if (std::sscanf(v, "%d,%d", &cfg.cpu_a, &cfg.cpu_b) != 2) {
                usage();
                return 2;
            }
        } else if (a == "--dir") {
            cfg.dir = val();
        } else if (a == "--csv") {
            cfg.csv = val();
        } else {
            usage();
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (cfg.quick) {
        cfg.secs = std::min(cfg.secs, 0.3);
        cfg.rtt_secs = 0.4;
        cfg.rtt_count = std::min<std::size_t>(cfg.rtt_count, 3000);
        cfg.rtt_warmup = 100;
    }
    if (!cfg.csv.empty()) {
        csv_file = std::fopen(cfg.csv.c_str(), "w");
        if (csv_file == nullptr) std::perror(cfg.csv.c_str());
    }
    ctl = map_control();

    std::printf(
        "# shmif-bench: %s, writer/pinger on CPU %d, readers/ponger on CPU %d, batch %d, "
        "%.1f s per throughput test, native ring %llu MiB (netbsd: 1 MiB, fixed)\n",
        cfg.threads ? "threads" : "processes", cfg.cpu_a, cfg.cpu_b, cfg.batch, cfg.secs,
        static_cast<unsigned long long>(cfg.ring >> 20));
    print_header();
    const std::size_t sizes[] = {64, 1514};
    for (const std::string fmt : {"native", "netbsd"}) {
        if (!wanted(cfg.formats, fmt)) continue;
        if (wanted(cfg.only, "alone"))
            for (std::size_t size : sizes)
                test_alone(fmt, size);
        if (wanted(cfg.only, "tput"))
            for (std::size_t size : sizes)
                for (ReadMode m : {ReadMode::copy, ReadMode::peek})
                    test_tput(fmt, size, m, 1, cfg.ring, "1 writer -> 1 reader");
        if (wanted(cfg.only, "fanout"))
            for (std::size_t size : sizes)
                test_tput(fmt, size, ReadMode::copy, 3, cfg.ring, "1 writer -> 3 readers (1 core)");
        if (wanted(cfg.only, "rtt")) {
            for (SpinPolicy p : {SpinPolicy::busy, SpinPolicy::adaptive, SpinPolicy::sleep})
                test_rtt(fmt, p, false);
            test_rtt(fmt, SpinPolicy::sleep, true);
        }
    }
    if (cfg.sweep && wanted(cfg.formats, "native")) {
        for (std::uint64_t mib : {1ULL, 2ULL, 4ULL, 16ULL, 64ULL, 256ULL}) {
            for (std::size_t size : sizes) {
                test_tput("native", size, ReadMode::copy, 1, mib << 20,
                          "sweep: 1 writer -> 1 reader");
                test_tput("native", size, ReadMode::copy, 3, mib << 20,
                          "sweep: 1 writer -> 3 readers");
            }
        }
    }
    if (csv_file) std::fclose(csv_file);
    return 0;
}
