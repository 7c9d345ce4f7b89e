// shmif-test-peer: the other process in the integration tests. Each mode opens the bus by
// path (its own mapping), does one job, and writes a PeerReport (payload.hpp) to a file.
//
//   mesh  BUS ID WRITERS FRAMES MINLEN MAXLEN OUT   writer and reader at once; fd 3: "ready"
//                                                   byte out, fd 4: EOF means "go"
//   send  BUS ID COUNT MINLEN MAXLEN OUT            send COUNT frames, report writer stats
//   hold  BUS ID LEN STEAL_MS                       take the lock, half-fill a slot, SIGKILL self
//   flood BUS ID MINLEN MAXLEN STEAL_MS [THREADS]   send until killed (THREADS writer threads,
//                                                   ids ID, ID+100, ...); fd 3: "ready" byte. A
//                                                   batch dropped by a takeover (the test
//                                                   stopped us) is skipped, not fatal
//   stall BUS ID LEN                                take the lock, half-fill a slot, SIGSTOP
//                                                   self; when continued, fill all of it and
//                                                   commit: exit 0 if the commit said fenced
//                                                   and a next send (as writer ID + 10000)
//                                                   works, 5 if it landed
//   wait  BUS TIMEOUT_MS OUT                        one receive_wait (no spin); fd 3: "ready"
//
// Every mode is bounded: alarm() ends a stuck peer, and it dies with the test that spawned it.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "payload.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"

namespace {

using namespace shmif;
using namespace shmif::test;
using Clock = std::chrono::steady_clock;

constexpr int kReadyFd = 3;
constexpr int kGoFd = 4;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "shmif-test-peer: %s\n", what);
    std::_Exit(3);
}

std::uint64_t num(const char* s) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end == s || *end != '\0') die("bad number");
    return v;
}

void signal_ready() {
    const char byte = 'r';
    if (::write(kReadyFd, &byte, 1) != 1) die("ready pipe");
    ::close(kReadyFd);
}

Bus open_bus(const char* path) {
    auto bus = Bus::open(path);
    if (!bus) die(describe(bus.error()).c_str());
    return std::move(*bus);
}

void write_report(const std::string& path, PeerReport r, const std::vector<WriterSeq>& recs) {
    r.count = recs.size();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) die("cannot write the report");
    bool ok = std::fwrite(&r, sizeof r, 1, f) == 1;
    if (!recs.empty())
        ok = ok && std::fwrite(recs.data(), sizeof(WriterSeq), recs.size(), f) == recs.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok) die("short report write");
}

void take_cursor_stats(PeerReport& r, const CursorStats& s) {
    r.frames = s.frames;
    r.overruns = s.overruns;
    r.lost_frames = s.lost_frames;
    r.lost_bytes = s.lost_bytes;
    r.corrupt = s.corrupt;
    r.truncated = s.truncated;
    r.sleeps = s.sleeps;
}

// Sends frames [seq, seq + count) of writer `id`, rotating through the three ways to send.
// Returns false if the library refused.
bool send_group(Writer& w, std::uint32_t id, std::uint64_t seq, std::size_t count,
                std::size_t min_len, std::size_t max_len, std::vector<std::byte>& scratch) {
    const std::uint64_t way = seq % 3;
    if (way == 0 || count == 1) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t len = payload_len(id, seq + i, min_len, max_len);
            scratch.resize(len);
            fill_payload(scratch, id, seq + i);
            if (auto sent = w.send(scratch); !sent) {
                std::fprintf(stderr, "shmif-test-peer: send: %s\n", describe(sent.error()).c_str());
                return false;
            }
        }
        return true;
    }
    if (way == 1) {
        std::vector<std::vector<std::byte>> bufs(count);
        std::vector<FrameBytes> frames;
        for (std::size_t i = 0; i < count; ++i) {
            bufs[i].resize(payload_len(id, seq + i, min_len, max_len));
            fill_payload(bufs[i], id, seq + i);
            frames.emplace_back(bufs[i]);
        }
        auto sent = w.send_batch(frames);
        if (!sent)
            std::fprintf(stderr, "shmif-test-peer: send_batch: %s\n",
                         describe(sent.error()).c_str());
        return sent && *sent == count;
    }
    auto batch = w.begin();
    if (!batch) {
        std::fprintf(stderr, "shmif-test-peer: begin: %s\n", describe(batch.error()).c_str());
        return false;
    }
    for (std::size_t i = 0; i < count; ++i) {
        auto slot = batch->acquire(payload_len(id, seq + i, min_len, max_len));
        if (!slot) {
            std::fprintf(stderr, "shmif-test-peer: acquire: %s\n", describe(slot.error()).c_str());
            return false;
        }
        fill_payload(*slot, id, seq + i);
    }
    return batch->commit() == count;
}

struct Receiver {
    std::vector<std::vector<std::byte>> storage;
    std::vector<Frame> frames;
    explicit Receiver(std::size_t n, std::size_t cap) : storage(n), frames(n) {
        for (std::size_t i = 0; i < n; ++i) {
            storage[i].resize(cap);
            frames[i].data = storage[i].data();
            frames[i].capacity = cap;
        }
    }
    void record(std::size_t n, PeerReport& r, std::vector<WriterSeq>& out) {
        for (std::size_t i = 0; i < n; ++i) {
            const Decoded d = check_payload({frames[i].data, frames[i].len});
            if (!d.ok || frames[i].len != frames[i].orig_len) {
                ++r.bad;
                continue;
            }
            out.push_back({d.writer, 0, d.seq});
        }
    }
};

int mesh(char** argv) {
    Bus bus = open_bus(argv[0]);
    const auto id = static_cast<std::uint32_t>(num(argv[1]));
    const std::uint64_t writers = num(argv[2]);
    const std::uint64_t frames = num(argv[3]);
    const std::size_t min_len = num(argv[4]);
    const std::size_t max_len = num(argv[5]);
    const std::string out = argv[6];

    Cursor cursor(bus);  // before "ready": this reader sees every frame sent after "go"
    Writer writer(bus);
    signal_ready();
    char byte = 0;
    while (::read(kGoFd, &byte, 1) > 0) {
    }
    ::close(kGoFd);

    PeerReport r;
    std::vector<WriterSeq> got;
    got.reserve(writers * frames);
    Receiver rx(256, bus.max_frame());
    std::vector<std::byte> scratch;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    std::uint64_t seq = 0;
    for (std::uint64_t round = 0; Clock::now() < deadline; ++round) {
        if (seq < frames) {
            const std::size_t group = std::min<std::uint64_t>(1 + seq % 4, frames - seq);
            if (!send_group(writer, id, seq, group, min_len, max_len, scratch)) die("send failed");
            seq += group;
            // A short nap now and then hands the CPU to the other peers, so that the writers
            // interleave even when one could send everything within its time slice.
            if (round % 16 == 15) ::usleep(200);
        }
        const std::size_t n = cursor.receive(rx.frames);
        rx.record(n, r, got);
        if (seq == frames && cursor.stats().frames >= writers * frames) break;
    }
    take_cursor_stats(r, cursor.stats());
    r.sent = writer.stats().frames;
    r.complete = seq == frames && r.frames == writers * frames ? 1 : 0;
    write_report(out, r, got);
    return r.complete == 1 ? 0 : 2;
}

int send(char** argv) {
    Bus bus = open_bus(argv[0]);
    const auto id = static_cast<std::uint32_t>(num(argv[1]));
    const std::uint64_t count = num(argv[2]);
    const std::size_t min_len = num(argv[3]);
    const std::size_t max_len = num(argv[4]);
    Writer writer(bus);
    std::vector<std::byte> scratch;
    for (std::uint64_t seq = 0; seq < count; ++seq) {
        scratch.resize(payload_len(id, seq, min_len, max_len));
        fill_payload(scratch, id, seq);
        if (!writer.send(scratch)) die("send failed");
    }
    PeerReport r;
    r.sent = writer.stats().frames;
    r.wakeups = writer.stats().wakeups;
    r.lock_recoveries = writer.stats().lock_recoveries;
    r.complete = 1;
    write_report(argv[5], r, {});
    return 0;
}

int hold(char** argv) {
    Bus bus = open_bus(argv[0]);
    const auto id = static_cast<std::uint32_t>(num(argv[1]));
    const std::size_t len = num(argv[2]);
    Writer writer(bus,
                  WriterOptions{.netbsd_steal_after = std::chrono::milliseconds(num(argv[3]))});
    auto batch = writer.begin();
    if (!batch) die("begin failed");
    auto slot = batch->acquire(len);
    if (!slot) die("acquire failed");
    // Half a frame: a valid-looking header and pattern, then nothing. Never committed.
    std::vector<std::byte> full(len);
    fill_payload(full, id, 0);
    std::memcpy(slot->data(), full.data(), len / 2);
    ::raise(SIGKILL);
    return 4;  // unreachable
}

// Sends as writer `id` until killed, skipping batches dropped by a takeover.
void flood_as(const Bus& bus, std::uint32_t id, std::size_t min_len, std::size_t max_len,
              std::chrono::milliseconds steal_after, bool ready) {
    Writer writer(bus, WriterOptions{.netbsd_steal_after = steal_after});
    std::vector<std::byte> scratch;
    std::uint64_t seq = 0;
    if (!send_group(writer, id, seq++, 1, min_len, max_len, scratch)) die("send failed");
    if (ready) signal_ready();
    // Until the parent's SIGKILL; alarm() bounds it should the parent forget.
    for (int i = 0; i < 100'000'000; ++i) {
        const std::size_t group = 1 + seq % 4;
        const std::uint64_t fenced = writer.stats().fenced_batches;
        if (!send_group(writer, id, seq, group, min_len, max_len, scratch) &&
            writer.stats().fenced_batches == fenced)
            die("send failed");
        seq += group;
    }
}

int flood(char** argv, int nargs) {
    Bus bus = open_bus(argv[0]);
    const auto id = static_cast<std::uint32_t>(num(argv[1]));
    const std::size_t min_len = num(argv[2]);
    const std::size_t max_len = num(argv[3]);
    const std::chrono::milliseconds steal_after(num(argv[4]));
    // More threads, each its own writer (ids id + 100, id + 200, ...): a process stopped
    // with SIGSTOP stops all of them, wherever each is.
    const std::uint64_t threads = nargs > 5 ? num(argv[5]) : 1;
    std::vector<std::thread> others;
    for (std::uint64_t t = 1; t < threads; ++t)
        others.emplace_back([&, t] {
            flood_as(bus, id + static_cast<std::uint32_t>(100 * t), min_len, max_len, steal_after,
                     false);
        });
    flood_as(bus, id, min_len, max_len, steal_after, true);
    for (auto& t : others)
        t.join();
    return 0;
}

int stall(char** argv) {
    Bus bus = open_bus(argv[0]);
    const auto id = static_cast<std::uint32_t>(num(argv[1]));
    const std::size_t len = num(argv[2]);
    Writer writer(bus);
    std::vector<std::byte> full(len);
    fill_payload(full, id, 0);
    {
        auto batch = writer.begin();
        if (!batch) die("begin failed");
        auto slot = batch->acquire(len);
        if (!slot) die("acquire failed");
        std::memcpy(slot->data(), full.data(), len / 2);
        ::raise(SIGSTOP);  // like a breakpoint in the code that fills the slot
        // Resumed, possibly long after a takeover: finish the frame, as its code would.
        std::memcpy(slot->data(), full.data(), len);
        const std::size_t sent = batch->commit();
        if (sent != 0 || !batch->failure() || batch->failure()->code != Errc::fenced) return 5;
    }
    // Under another writer id (a flooder's range), so the test can tell that no frame of
    // the fenced batch's writer ever reached a reader.
    fill_payload(full, id + 10'000, 0);
    if (!writer.send(full)) die("the send after the fenced batch failed");
    return 0;
}

int wait(char** argv) {
    Bus bus = open_bus(argv[0]);
    const std::uint64_t timeout_ms = num(argv[1]);
    Cursor cursor(bus, CursorOptions{.spin = std::chrono::nanoseconds(0)});
    Receiver rx(8, bus.max_frame());
    signal_ready();
    const auto start = Clock::now();
    auto n = cursor.receive_wait(rx.frames, std::chrono::milliseconds(timeout_ms));
    const auto took = Clock::now() - start;
    PeerReport r;
    std::vector<WriterSeq> got;
    if (n) rx.record(*n, r, got);
    take_cursor_stats(r, cursor.stats());
    r.wait_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
    r.complete = n && *n > 0 ? 1 : 0;
    write_report(argv[2], r, got);
    return r.complete == 1 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::alarm(30);
    if (argc < 2) die("usage: shmif-test-peer MODE ARGS...");
    const std::string mode = argv[1];
    const int nargs = argc - 2;
    char** args = argv + 2;
    if (mode == "mesh" && nargs == 7) return mesh(args);
    if (mode == "send" && nargs == 6) return send(args);
    if (mode == "hold" && nargs == 4) return hold(args);
    if (mode == "flood" && (nargs == 5 || nargs == 6)) return flood(args, nargs);
    if (mode == "wait" && nargs == 3) return wait(args);
    if (mode == "stall" && nargs == 3) return stall(args);
    die("unknown mode or wrong argument count");
}
