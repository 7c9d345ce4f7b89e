// Ending a blocked shmif_recv()/shmif_wait() early: a signal handler (SHMIF_EINTR, as a TAP
// read(2) would say EINTR) and shmif_cursor_wake() from another thread, each with and without
// a stream of frames from the cursor's skipped sender, on both formats. And the other half of
// the promise: skipped frames never keep a receiver asleep past its timeout.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "c_api_formats.hpp"
#include "shmif/shmif.h"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSelf = 0x5e1f;
constexpr int64_t kLongNs = 10'000'000'000;  // a timeout no passing test waits out

void on_signal(int) {}

// Installs a handler for SIGUSR1 (with or without SA_RESTART) and restores the old one.
class Handler {
  public:
    explicit Handler(bool restart) {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sa.sa_flags = restart ? SA_RESTART : 0;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, &old_);
    }
    ~Handler() { sigaction(SIGUSR1, &old_, nullptr); }

  private:
    struct sigaction old_ {};
};

struct Bus {
    TempDir dir;
    shmif_bus* bus = nullptr;
    shmif_cursor* c = nullptr;
    shmif_writer* own = nullptr;  // the cursor's skipped sender

    explicit Bus(shmif_format format) {
        shmif_create_opts opts{};
        opts.format = format;
        EXPECT_EQ(shmif_bus_create(dir.file("w.bus").c_str(), &opts, &bus), SHMIF_OK);
        EXPECT_EQ(shmif_cursor_new(bus, kSelf, SHMIF_START_NEXT, &c), SHMIF_OK);
        EXPECT_EQ(shmif_writer_new(bus, kSelf, &own), SHMIF_OK);
        shmif_cursor_set_spin(c, 0);
    }
    ~Bus() {
        shmif_writer_free(own);
        shmif_cursor_free(c);
        shmif_bus_close(bus);
    }
};

// While alive, sends a frame from the skipped sender every `period`.
class OwnTraffic {
  public:
    OwnTraffic(shmif_writer* w, std::chrono::microseconds period) {
        thread_ = std::thread([this, w, period] {
            unsigned char frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
            for (int i = 0; i < 100'000 && !stop_.load(); ++i) {
                if (shmif_send(w, frame, sizeof frame) == SHMIF_OK) sent_.fetch_add(1);
                std::this_thread::sleep_for(period);
            }
        });
    }
    ~OwnTraffic() {
        stop_.store(true);
        thread_.join();
    }
    int sent() const { return sent_.load(); }

  private:
    std::atomic<bool> stop_{false};
    std::atomic<int> sent_{0};
    std::thread thread_;
};

// Runs `wait` in a thread and pokes it with `poke` every 20 ms until it returns, at most
// `max_pokes` times (a signal that lands just before the sleep starts is, as for any system
// call, not seen, so one is not enough to be sure; a wake is latched, so one is). Returns
// what `wait` returned and how long it took.
template <class Wait, class Poke>
std::pair<int, Clock::duration> poke_until_done(Wait wait, Poke poke, int max_pokes = 100) {
    std::atomic<bool> started{false};
    std::atomic<bool> done{false};
    std::atomic<pthread_t> waiter{};
    int result = 1;
    Clock::time_point begin{}, end{};
    std::thread t([&] {
        waiter.store(pthread_self());
        started.store(true);
        begin = Clock::now();
        result = wait();
        end = Clock::now();
        done.store(true);
    });
    while (!started.load())
        std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(50ms);  // let it fall asleep
    for (int i = 0; i < max_pokes && !done.load(); ++i) {
        poke(waiter.load());
        std::this_thread::sleep_for(20ms);
    }
    t.join();  // bounded: every wait here has a timeout
    return {result, end - begin};
}

int recv_one(shmif_cursor* c, int64_t timeout_ns) {
    unsigned char buf[2048];
    shmif_frame f = {buf, sizeof buf, 0, 0, 0, 0};
    return shmif_recv(c, &f, 1, timeout_ns);
}

class CApiWake : public ::testing::TestWithParam<shmif_format> {};

TEST_P(CApiWake, ASignalEndsABlockedReceiveWithEintr) {
    Bus b(GetParam());
    Handler handler(false);
    auto [rc, took] = poke_until_done([&] { return recv_one(b.c, kLongNs); },
                                      [](pthread_t t) { pthread_kill(t, SIGUSR1); });
    EXPECT_EQ(rc, SHMIF_EINTR) << shmif_strerror(rc);
    EXPECT_LT(took, 3s);
}

TEST_P(CApiWake, ASignalEndsABlockedWaitWithEintr) {
    Bus b(GetParam());
    Handler handler(false);
    auto [rc, took] = poke_until_done([&] { return shmif_wait(b.c, kLongNs); },
                                      [](pthread_t t) { pthread_kill(t, SIGUSR1); });
    EXPECT_EQ(rc, SHMIF_EINTR) << shmif_strerror(rc);
    EXPECT_LT(took, 3s);
}

TEST_P(CApiWake, ASignalEndsAReceiveThatSkippedSendersKeepWaking) {
    Bus b(GetParam());
    Handler handler(false);
    OwnTraffic traffic(b.own, 5ms);
    auto [rc, took] = poke_until_done([&] { return recv_one(b.c, kLongNs); },
                                      [](pthread_t t) { pthread_kill(t, SIGUSR1); });
    EXPECT_EQ(rc, SHMIF_EINTR) << shmif_strerror(rc);
    EXPECT_LT(took, 3s);
    EXPECT_GT(traffic.sent(), 0);
}

TEST_P(CApiWake, WakeFromAnotherThreadEndsABlockedReceive) {
    Bus b(GetParam());
    auto [rc, took] = poke_until_done([&] { return recv_one(b.c, kLongNs); },
                                      [&](pthread_t) { shmif_cursor_wake(b.c); }, 1);
    EXPECT_EQ(rc, SHMIF_EINTR) << shmif_strerror(rc);
    EXPECT_LT(took, 3s);
}

TEST_P(CApiWake, WakeEndsAWaitWhileSkippedSendersKeepSending) {
    Bus b(GetParam());
    OwnTraffic traffic(b.own, 200us);
    shmif_view views[4];
    // shmif_wait() reports own frames as "may be waiting" (1): a peek moves past them.
    auto [rc, took] = poke_until_done(
        [&] {
            for (;;) {
                const int r = shmif_wait(b.c, kLongNs);
                if (r != 1) return r;
                if (shmif_peek(b.c, views, 4) != 0) return 100;  // no frame is for us
            }
        },
        [&](pthread_t) { shmif_cursor_wake(b.c); }, 1);
    EXPECT_EQ(rc, SHMIF_EINTR) << shmif_strerror(rc);
    EXPECT_LT(took, 3s);
}

TEST_P(CApiWake, AWakeBeforeTheReceiveEndsTheNextOneOnly) {
    Bus b(GetParam());
    shmif_cursor_wake(b.c);
    shmif_cursor_wake(b.c);  // wakes do not pile up: one return per latch
    const auto start = Clock::now();
    EXPECT_EQ(recv_one(b.c, kLongNs), SHMIF_EINTR);
    EXPECT_LT(Clock::now() - start, 1s);
    EXPECT_EQ(recv_one(b.c, 20'000'000), 0);  // the next one waits out its timeout
    // A receive that does not block neither sees nor consumes a wake.
    shmif_cursor_wake(b.c);
    EXPECT_EQ(recv_one(b.c, 0), 0);
    EXPECT_EQ(shmif_wait(b.c, kLongNs), SHMIF_EINTR);
}

TEST_P(CApiWake, ALatchedWakeEndsTheNextCallEvenWithFramesWaiting) {
    Bus b(GetParam());
    shmif_writer* other = nullptr;
    ASSERT_EQ(shmif_writer_new(b.bus, 7, &other), SHMIF_OK);
    unsigned char frame[60] = {1, 2, 3};
    ASSERT_EQ(shmif_send(other, frame, sizeof frame), SHMIF_OK);
    shmif_cursor_wake(b.c);
    // The wake ends the blocking call; the frame stays for the next.
    EXPECT_EQ(recv_one(b.c, kLongNs), SHMIF_EINTR);
    EXPECT_EQ(recv_one(b.c, kLongNs), 1);
    shmif_writer_free(other);
}

TEST_P(CApiWake, SkippedFramesNeverKeepAReceiverPastItsTimeout) {
    Bus b(GetParam());
    OwnTraffic traffic(b.own, 100us);
    for (int64_t timeout_ms : {30, 200}) {
        const auto start = Clock::now();
        EXPECT_EQ(recv_one(b.c, timeout_ms * 1'000'000), 0);
        const auto took = Clock::now() - start;
        EXPECT_GE(took, std::chrono::milliseconds(timeout_ms));
        // Generous: the machine is shared. Without the bound this would run to the end of
        // the traffic (10 s and more).
        EXPECT_LT(took, std::chrono::milliseconds(timeout_ms) + 1s);
    }
    EXPECT_GT(traffic.sent(), 10);
}

TEST_P(CApiWake, AReceiveAfterAnInterruptionWorks) {
    Bus b(GetParam());
    Handler handler(false);
    auto [rc, took] = poke_until_done([&] { return recv_one(b.c, kLongNs); },
                                      [](pthread_t t) { pthread_kill(t, SIGUSR1); });
    ASSERT_EQ(rc, SHMIF_EINTR);
    shmif_writer* other = nullptr;
    ASSERT_EQ(shmif_writer_new(b.bus, 9, &other), SHMIF_OK);
    std::thread sender([&] {
        std::this_thread::sleep_for(30ms);
        unsigned char frame[60] = {9};
        EXPECT_EQ(shmif_send(other, frame, sizeof frame), SHMIF_OK);
    });
    EXPECT_EQ(recv_one(b.c, kLongNs), 1);
    sender.join();
    shmif_writer_free(other);
}

INSTANTIATE_TEST_SUITE_P(Formats, CApiWake, kBothFormats, format_name);

// Native waits restart after a handler installed with SA_RESTART, as read(2) does: the
// receive goes on to its timeout.
TEST(CApiWakeNative, ASignalWithSaRestartLetsTheWaitGoOn) {
    Bus b(SHMIF_FORMAT_NATIVE);
    Handler handler(true);
    std::atomic<pthread_t> waiter{};
    std::atomic<bool> started{false};
    int rc = 1;
    std::thread t([&] {
        waiter.store(pthread_self());
        started.store(true);
        rc = recv_one(b.c, 400'000'000);
    });
    while (!started.load())
        std::this_thread::sleep_for(1ms);
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(40ms);
        pthread_kill(waiter.load(), SIGUSR1);
    }
    t.join();
    EXPECT_EQ(rc, 0);  // timed out, not interrupted
}

}  // namespace
}  // namespace shmif::test
