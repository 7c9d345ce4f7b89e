// stop-bench: what the engine's stop_machine costs, and what it saves.
//
//   1. wake    futex wake -> wakee running, pinned threads on two CPUs: the floor for a stop
//              of sleeping workers.
//   2. stops   stop_machine quiesce latency (StopTiming.quiesce_ns), whole-stop time
//              (total_ns) and the caller's wall time, median and p99, for 1..N workers and N+1
//              unpinned; workers busy (a source that always has work), spinning idle (spin
//              forever on an empty source) or asleep (spin = 0); issued from a thread and,
//              for the polling kinds, from a worker's source.
//   3. readers the per-frame price readers would pay instead: shared_mutex, an RCU-style
//              epoch, nothing (the stop_machine way); 1 reader and 2 readers on 2 CPUs.
//   4. load    reconfiguration under load: a writer at half the bus's measured maximum rate
//              into a 64 MiB bus, every worker reading every frame through a BusSource, 1,000
//              stop_machine cycles; frames sent, received and lost per worker (target: 0).
//
// Usage: stop-bench [--quick] [--rate FRAMES_PER_S] [--stops N]
// About 60 s; --quick about 10 s. Prints plain tables.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/writer.hpp"
#include "shmifd/engine/bus_source.hpp"
#include "shmifd/engine/worker_pool.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using shmifd::engine::PoolOptions;
using shmifd::engine::Source;
using shmifd::engine::WaitSet;
using shmifd::engine::WorkerId;
using shmifd::engine::WorkerPool;

struct Config {
    bool quick = false;
    std::uint64_t rate = 0;  // 0 = measure
    std::size_t stops = 2000;
    Clock::duration row_limit = 3s;
};

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count());
}

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (std::size_t c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) cpus.push_back(static_cast<int>(c));
    return cpus;
}

void pin_self(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<std::size_t>(cpu), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

struct Summary {
    double p50 = 0, p99 = 0;
    std::size_t n = 0;
};

Summary summarize(std::vector<std::uint64_t> v) {
    Summary s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
        return static_cast<double>(v[i]) / 1000.0;
    };
    s.p50 = at(0.50);
    s.p99 = at(0.99);
    return s;
}

// ---------------------------------------------------------------------------------------------
// 1. Futex wake-up cost across CPUs.

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val) {
    return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, val, nullptr, nullptr,
                     0);
}

Summary measure_wake(const Config& cfg, const std::vector<int>& cpus) {
    std::atomic<std::uint32_t> word{0};
    std::atomic<int> state{0};  // 0 = waker's turn to prepare, 1 = wakee about to wait, 2 = done
    std::atomic<std::uint64_t> t_wake{0};
    std::vector<std::uint64_t> lat;
    const std::size_t rounds = cfg.quick ? 300 : 2000;
    lat.reserve(rounds);
    std::atomic<bool> quit{false};
    std::thread wakee([&] {
        pin_self(cpus.size() > 1 ? cpus[1] : -1);
        while (!quit.load()) {
            state.store(1);
            while (word.load() == 0 && !quit.load())
                futex(&word, FUTEX_WAIT_PRIVATE, 0);
            const std::uint64_t t1 = now_ns();
            if (quit.load()) break;
            lat.push_back(t1 - t_wake.load());
            word.store(0);
            state.store(2);
            while (state.load() == 2 && !quit.load())
                std::this_thread::yield();
        }
    });
    pin_self(cpus.empty() ? -1 : cpus[0]);
    for (std::size_t i = 0; i < rounds; ++i) {
        while (state.load() != 1)
            std::this_thread::yield();
        std::this_thread::sleep_for(200us);  // the wakee is asleep in the kernel by now
        t_wake.store(now_ns());
        word.store(1);
        futex(&word, FUTEX_WAKE_PRIVATE, 1);
        while (state.load() != 2)
            std::this_thread::yield();
        state.store(0);
    }
    quit.store(true);
    word.store(1);
    futex(&word, FUTEX_WAKE_PRIVATE, 1);
    wakee.join();
    pin_self(-1);
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int c : cpus)
        CPU_SET(static_cast<std::size_t>(c), &all);
    pthread_setaffinity_np(pthread_self(), sizeof all, &all);
    return summarize(lat);
}

// ---------------------------------------------------------------------------------------------
// 2. stop_machine latency.

enum class Mode { busy, spin, asleep };
const char* mode_name(Mode m) {
    switch (m) {
        case Mode::busy:
            return "busy";
        case Mode::spin:
            return "idle-spin";
        case Mode::asleep:
            return "asleep";
    }
    return "?";
}

// Reports `work` units per poll; on worker 0 with `issue` set, issues a stop_machine every
// `every` polls and records its timings (touched only by its worker's thread until done).
class BenchSource final : public Source {
  public:
    BenchSource(std::size_t work, WorkerPool* pool, std::size_t stops, std::atomic<bool>* done)
        : work_(work), pool_(pool), target_(stops), done_(done) {
        if (pool_ != nullptr) {
            quiesce.reserve(stops);
            total.reserve(stops);
            wall.reserve(stops);
        }
    }
    std::size_t poll(std::size_t) override {
        if (pool_ != nullptr && ++polls_ % 64 == 0 && wall.size() < target_ &&
            Clock::now() < deadline) {
            const std::uint64_t t0 = now_ns();
            auto r = pool_->stop_machine([](WorkerId) { return 0; });
            const std::uint64_t t1 = now_ns();
            if (r) {
                const auto t = pool_->last_stop_timing();
                quiesce.push_back(t.quiesce_ns);
                total.push_back(t.total_ns);
                wall.push_back(t1 - t0);
            }
            if (wall.size() >= target_ || Clock::now() >= deadline) done_->store(true);
        }
        return work_;
    }
    bool arm(WaitSet&) override { return work_ == 0; }
    std::string_view name() const override { return "bench"; }

    std::vector<std::uint64_t> quiesce, total, wall;
    Clock::time_point deadline = Clock::time_point::max();

  private:
    std::size_t work_;
    WorkerPool* pool_;
    std::size_t target_;
    std::atomic<bool>* done_;
    std::uint64_t polls_ = 0;
};

struct StopRow {
    Summary quiesce, total, wall;
};

StopRow measure_stops(const Config& cfg, std::size_t workers, bool pin, Mode mode,
                      bool from_worker) {
    PoolOptions opts;
    opts.workers = workers;
    opts.pin = pin;
    opts.spin = mode == Mode::asleep ? 0ns : std::chrono::nanoseconds(std::chrono::hours(1));
    opts.watchdog = 5000ms;
    opts.log = [](std::string_view) {};
    WorkerPool pool(opts);
    const std::size_t work = mode == Mode::busy ? 1 : 0;
    std::atomic<bool> done{false};
    BenchSource* issuer = nullptr;
    for (WorkerId id : pool.workers()) {
        const bool is_issuer = from_worker && id == 0;
        auto src =
            std::make_unique<BenchSource>(work, is_issuer ? &pool : nullptr, cfg.stops, &done);
        if (is_issuer) {
            issuer = src.get();
            src->deadline = Clock::now() + 1s + cfg.row_limit;
        }
        (void)pool.add_source(id, std::move(src));
    }
    std::this_thread::sleep_for(mode == Mode::asleep ? 20ms : 5ms);
    std::vector<std::uint64_t> q, t, w;
    if (!from_worker) {
        const auto deadline = Clock::now() + cfg.row_limit;
        for (std::size_t i = 0; i < cfg.stops && Clock::now() < deadline; ++i) {
            if (mode == Mode::asleep) std::this_thread::sleep_for(100us);  // let them sleep
            const std::uint64_t t0 = now_ns();
            auto r = pool.stop_machine([](WorkerId) { return 0; });
            const std::uint64_t t1 = now_ns();
            if (!r) continue;
            const auto timing = pool.last_stop_timing();
            q.push_back(timing.quiesce_ns);
            t.push_back(timing.total_ns);
            w.push_back(t1 - t0);
        }
    } else {
        const auto limit = Clock::now() + 2s + cfg.row_limit;
        while (!done.load() && Clock::now() < limit)
            std::this_thread::sleep_for(1ms);
        // Take the samples on the issuer's own thread (ordered after its last stop).
        (void)pool.stop_one(0, [&](WorkerId) {
            q = issuer->quiesce;
            t = issuer->total;
            w = issuer->wall;
            return 0;
        });
    }
    return {summarize(q), summarize(t), summarize(w)};
}

// ---------------------------------------------------------------------------------------------
// 3. Per-frame reader cost.

enum class Guard { shared_mutex, epoch, none };
const char* guard_name(Guard g) {
    switch (g) {
        case Guard::shared_mutex:
            return "shared_mutex lock_shared+unlock";
        case Guard::epoch:
            return "RCU-style epoch (acq load + rel store)";
        case Guard::none:
            return "nothing (stop_machine)";
    }
    return "?";
}

struct alignas(64) Slot {
    std::atomic<std::uint64_t> v{0};
};
std::shared_mutex g_lock;
Slot g_epoch;
std::array<Slot, 8> g_reader_epoch;
std::array<std::uint64_t, 16> g_table{};

double reader_ns_per_frame(Guard g, std::size_t readers, std::uint64_t frames,
                           const std::vector<int>& cpus) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> ns(readers);
    std::vector<std::thread> threads;
    for (std::size_t r = 0; r < readers; ++r) {
        threads.emplace_back([&, r] {
            pin_self(r < cpus.size() ? cpus[r] : -1);
            ready.fetch_add(1);
            while (!go.load()) {
            }
            std::uint64_t sum = 0;
            const auto t0 = Clock::now();
            for (std::uint64_t i = 0; i < frames; ++i) {
                switch (g) {
                    case Guard::shared_mutex: {
                        g_lock.lock_shared();
                        sum += g_table[i & 15];
                        g_lock.unlock_shared();
                        break;
                    }
                    case Guard::epoch: {
                        const auto e = g_epoch.v.load(std::memory_order_acquire);
                        g_reader_epoch[r].v.store(e, std::memory_order_release);
                        sum += g_table[i & 15];
                        break;
                    }
                    case Guard::none:
                        sum += g_table[i & 15];
                        break;
                }
                asm volatile("" : "+r"(sum));  // one "frame": keep the loop honest
            }
            const auto dt = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
            ns[r] = dt / static_cast<double>(frames);
            if (sum == 42) std::puts("");
        });
    }
    while (ready.load() != static_cast<int>(readers))
        std::this_thread::yield();
    go.store(true);
    for (auto& t : threads)
        t.join();
    double worst = 0;
    for (double x : ns)
        worst = std::max(worst, x);
    return worst;
}

// ---------------------------------------------------------------------------------------------
// 4. Reconfiguration under load.

constexpr std::size_t kFrameLen = 64;
constexpr std::size_t kBatch = 32;
constexpr std::uint64_t kRing = 64ULL << 20;

struct Pump {
    std::uint64_t sent = 0;
    bool failed = false;
};

// Sends sequence-numbered frames in batches; paced to `rate` frames/s when non-zero.
Pump pump(const shmif::Bus& bus, std::uint64_t rate, Clock::duration duration) {
    Pump p;
    shmif::Writer w(bus);
    std::vector<std::array<std::byte, kFrameLen>> bufs(kBatch);
    std::vector<shmif::FrameBytes> frames(kBatch);
    for (std::size_t i = 0; i < kBatch; ++i) {
        bufs[i].fill(std::byte{0x5a});
        frames[i] = bufs[i];
    }
    const auto t0 = Clock::now();
    const auto end = t0 + duration;
    for (;;) {
        const auto now = Clock::now();
        if (now >= end) break;
        if (rate != 0) {
            const double el = std::chrono::duration<double>(now - t0).count();
            const auto due = static_cast<std::uint64_t>(el * static_cast<double>(rate));
            if (p.sent + kBatch > due) {
                std::this_thread::yield();
                continue;
            }
        }
        for (std::size_t i = 0; i < kBatch; ++i) {
            const std::uint64_t s = p.sent + i;
            std::memcpy(bufs[i].data(), &s, sizeof s);
        }
        auto r = w.send_batch(frames);
        if (!r) {
            p.failed = true;
            break;
        }
        p.sent += *r;
    }
    return p;
}

struct Received {
    std::uint64_t frames = 0, gaps = 0, next = 0;
};

void run_load(const Config& cfg, const std::vector<int>& cpus) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("stop-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "bus").string();
    {
        auto bus = shmif::Bus::create(path, shmif::CreateOptions{.size = kRing});
        if (!bus) {
            std::printf("load: cannot create %s: %s\n", path.c_str(),
                        shmif::describe(bus.error()).c_str());
            return;
        }
        std::uint64_t rate = cfg.rate;
        double max_rate = 0;
        if (rate == 0) {
            const auto d = cfg.quick ? 300ms : 1000ms;
            const auto t0 = Clock::now();
            Pump p = pump(*bus, 0, d);
            const double s = std::chrono::duration<double>(Clock::now() - t0).count();
            max_rate = static_cast<double>(p.sent) / s;
            rate = static_cast<std::uint64_t>(max_rate / 2);
        }
        const std::size_t n = cpus.empty() ? 1 : cpus.size();
        PoolOptions opts;
        opts.workers = n;
        opts.log = [](std::string_view) {};
        opts.watchdog = 5000ms;
        WorkerPool pool(opts);
        std::vector<Received> got(n);
        std::vector<const shmifd::engine::BusSource*> sources(n);
        std::array<std::uint64_t, 16> table{};
        std::atomic<std::uint64_t> torn{0};
        for (WorkerId id : pool.workers()) {
            Received& r = got[id];
            auto handler = [&r, &table, &torn](std::span<const shmif::Frame> frames) {
                for (const auto& f : frames) {
                    std::uint64_t seq = 0;
                    std::memcpy(&seq, f.data, sizeof seq);
                    if (seq != r.next) ++r.gaps;
                    r.next = seq + 1;
                    ++r.frames;
                    const auto v0 = table[0];
                    if (table[15] != v0) torn.fetch_add(1, std::memory_order_relaxed);
                }
            };
            auto src =
                std::make_unique<shmifd::engine::BusSource>(*bus, shmif::CursorOptions{}, handler);
            sources[id] = src.get();
            (void)pool.add_source(id, std::move(src));
        }
        const auto duration = cfg.quick ? 2s : 5s;
        Pump sent;
        std::thread writer([&] { sent = pump(*bus, rate, duration); });
        constexpr int kCycles = 1000;
        const auto period = duration / kCycles;
        std::vector<std::uint64_t> q, w;
        std::uint64_t version = 0;
        int failures = 0;
        const auto t0 = Clock::now();
        for (int c = 0; c < kCycles; ++c) {
            std::this_thread::sleep_until(t0 + period * c);
            const std::uint64_t a = now_ns();
            auto r = pool.stop_machine([&](WorkerId) {
                ++version;
                for (auto& e : table)
                    e = version;
                return 0;
            });
            const std::uint64_t b = now_ns();
            if (!r) {
                ++failures;
                continue;
            }
            q.push_back(pool.last_stop_timing().quiesce_ns);
            w.push_back(b - a);
        }
        writer.join();
        // Let the readers drain (bounded), then read their counts on their own threads.
        const auto drain_until = Clock::now() + 5s;
        for (;;) {
            bool all = true;
            for (WorkerId id : pool.workers()) {
                std::uint64_t f = 0;
                (void)pool.stop_one(id, [&](WorkerId) {
                    f = got[id].frames + sources[id]->cursor().stats().lost_frames;
                    return 0;
                });
                if (f < sent.sent) all = false;
            }
            if (all || Clock::now() > drain_until) break;
            std::this_thread::sleep_for(10ms);
        }
        std::printf(
            "\n4. Reconfiguration under load: 64 MiB native bus, %zu-byte frames, "
            "batches of %zu\n",
            kFrameLen, kBatch);
        if (max_rate > 0)
            std::printf("   writer-only maximum: %.0f frames/s; run at half: %llu frames/s\n",
                        max_rate, static_cast<unsigned long long>(rate));
        else
            std::printf("   rate given: %llu frames/s\n", static_cast<unsigned long long>(rate));
        const auto qs = summarize(q), ws = summarize(w);
        std::printf(
            "   %d stop_machine cycles (%d failed) over %.1f s; quiesce p50 %.1f us "
            "p99 %.1f us; wall p50 %.1f us p99 %.1f us; torn tables seen: %llu\n",
            kCycles, failures, std::chrono::duration<double>(duration).count(), qs.p50, qs.p99,
            ws.p50, ws.p99, static_cast<unsigned long long>(torn.load()));
        std::printf("   frames sent: %llu%s\n", static_cast<unsigned long long>(sent.sent),
                    sent.failed ? " (writer failed)" : "");
        std::printf("   %-8s %14s %12s %10s %10s\n", "worker", "received", "lost", "overruns",
                    "seq gaps");
        for (WorkerId id : pool.workers()) {
            shmif::CursorStats cs;
            std::uint64_t frames = 0, gaps = 0;
            (void)pool.stop_one(id, [&](WorkerId) {
                cs = sources[id]->cursor().stats();
                frames = got[id].frames;
                gaps = got[id].gaps;
                return 0;
            });
            std::printf("   %-8zu %14llu %12llu %10llu %10llu\n", id,
                        static_cast<unsigned long long>(frames),
                        static_cast<unsigned long long>(cs.lost_frames),
                        static_cast<unsigned long long>(cs.overruns),
                        static_cast<unsigned long long>(gaps));
        }
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--quick") {
            cfg.quick = true;
        } else if (a == "--rate" && i + 1 < argc) {
            cfg.rate = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--stops" && i + 1 < argc) {
            cfg.stops = std::strtoull(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: stop-bench [--quick] [--rate FRAMES_PER_S] [--stops N]\n");
            return 2;
        }
    }
    if (cfg.quick) {
        cfg.stops = std::min<std::size_t>(cfg.stops, 300);
        cfg.row_limit = 400ms;
    }
    const auto cpus = allowed_cpus();
    const std::size_t ncpu = std::max<std::size_t>(1, cpus.size());
    std::printf("stop-bench: %zu CPUs allowed%s; times in microseconds\n", ncpu,
                cfg.quick ? " (quick)" : "");

    const Summary wake = measure_wake(cfg, cpus);
    std::printf(
        "\n1. Futex wake -> wakee running (pinned, CPU %d -> CPU %d), %zu samples: "
        "p50 %.1f us, p99 %.1f us\n",
        cpus.empty() ? -1 : cpus[0], cpus.size() > 1 ? cpus[1] : -1, wake.n, wake.p50, wake.p99);

    std::printf("\n2. stop_machine (fn on one worker, returns at once), up to %zu stops per row\n",
                cfg.stops);
    std::printf("   %-9s %-6s %-7s %-5s %6s | %9s %9s | %9s %9s | %9s %9s\n", "workers", "pinned",
                "issuer", "", "stops", "quiesce50", "quiesce99", "total50", "total99", "wall50",
                "wall99");
    for (std::size_t n = 1; n <= ncpu + 1; ++n) {
        const bool pin = n <= ncpu;
        for (Mode m : {Mode::busy, Mode::spin, Mode::asleep}) {
            for (bool from_worker : {false, true}) {
                if (from_worker && m == Mode::asleep) continue;  // an asleep worker never polls
                const StopRow r = measure_stops(cfg, n, pin, m, from_worker);
                std::printf(
                    "   %-9zu %-6s %-7s %-9s %4zu | %9.1f %9.1f | %9.1f %9.1f | %9.1f "
                    "%9.1f\n",
                    n, pin ? "yes" : "no", from_worker ? "worker" : "thread", mode_name(m),
                    r.wall.n, r.quiesce.p50, r.quiesce.p99, r.total.p50, r.total.p99, r.wall.p50,
                    r.wall.p99);
            }
        }
    }
    std::printf(
        "   targets: busy p99 quiesce < 20 us; asleep p99 quiesce <= the wake cost above "
        "(p99 %.1f us)\n",
        wake.p99);

    const std::uint64_t frames = cfg.quick ? 5'000'000 : 30'000'000;
    std::printf(
        "\n3. Per-frame reader cost, ns/frame (%llu frames; 2 readers pinned to 2 CPUs, "
        "same lock/epoch)\n",
        static_cast<unsigned long long>(frames));
    std::printf("   %-42s %10s %10s\n", "guard", "1 reader", "2 readers");
    for (Guard g : {Guard::shared_mutex, Guard::epoch, Guard::none}) {
        const double one = reader_ns_per_frame(g, 1, frames, cpus);
        const double two = ncpu >= 2 ? reader_ns_per_frame(g, 2, frames, cpus) : 0.0;
        std::printf("   %-42s %10.2f %10.2f\n", guard_name(g), one, two);
    }

    run_load(cfg, cpus);
    return 0;
}
