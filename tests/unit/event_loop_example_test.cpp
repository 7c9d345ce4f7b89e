// examples/event-loop/bus_events as a process, in each of its loops (poll, epoll level- and
// edge-triggered, io_uring) on both bus formats: frames sent in bursts with pauses between
// them, so the loop sleeps and is woken through the cursor's fd; frames of the skipped
// sender left out; SIGTERM and the timeout end it as documented. Every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "c_api_formats.hpp"
#include "process.hpp"
#include "shmif/shmif.h"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using shmifd::test::Outcome;
using shmifd::test::Process;

constexpr std::uint64_t kSender = 0x1111;   // counted
constexpr std::uint64_t kSkipped = 0x5555;  // given to --skip
constexpr auto kReady = 10s;                // the program's start-up
constexpr auto kExit = 10s;                 // its end, once it should end

struct Summary {
    unsigned long long frames = 0, bytes = 0, ticks = 0, wakeups = 0;
};

// The last line of stdout: "frames F bytes B ticks T wakeups W".
bool parse_summary(const std::string& out, Summary& s) {
    const auto start = out.rfind("frames ");
    return start != std::string::npos &&
           std::sscanf(out.c_str() + start, "frames %llu bytes %llu ticks %llu wakeups %llu",
                       &s.frames, &s.bytes, &s.ticks, &s.wakeups) == 4;
}

using Param = std::tuple<const char*, shmif_format>;

class EventLoopExample : public ::testing::TestWithParam<Param> {
  protected:
    void SetUp() override {
        shmif_create_opts opts{};
        opts.format = std::get<1>(GetParam());
        ASSERT_EQ(shmif_bus_create(path_.c_str(), &opts, &bus_), 0);
        ASSERT_EQ(shmif_writer_new(bus_, kSender, &counted_), 0);
        ASSERT_EQ(shmif_writer_new(bus_, kSkipped, &skipped_), 0);
    }
    void TearDown() override {
        shmif_writer_free(counted_);
        shmif_writer_free(skipped_);
        shmif_bus_close(bus_);
    }

    // Starts bus_events with `extra` options and waits until it says it is waiting.
    std::unique_ptr<Process> start(std::vector<std::string> extra) {
        std::vector<std::string> argv{BUS_EVENTS_BIN,          path_,    "--loop",
                                      std::get<0>(GetParam()), "--skip", std::to_string(kSkipped)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Process>(dir_, argv);
        EXPECT_TRUE(p->started());
        EXPECT_TRUE(shmifd::test::wait_until(
            [&] { return p->err_so_far().find("waiting on") != std::string::npos; }, kReady))
            << p->err_so_far();
        return p;
    }

    // Sends one frame of `len` bytes; returns its length.
    static std::size_t send(shmif_writer* w, std::size_t len) {
        std::vector<unsigned char> frame(len, static_cast<unsigned char>(len));
        EXPECT_EQ(shmif_send(w, frame.data(), frame.size()), 0);
        return len;
    }

    shmif::test::TempDir dir_;
    std::string path_ = dir_.file("bus");
    shmif_bus* bus_ = nullptr;
    shmif_writer* counted_ = nullptr;
    shmif_writer* skipped_ = nullptr;
};

TEST_P(EventLoopExample, ReceivesBurstsWokenThroughTheFd) {
    constexpr int kBursts = 6, kPerBurst = 7;
    auto p = start({"--count", std::to_string(kBursts * kPerBurst), "--timeout-ms", "20000"});
    unsigned long long bytes = 0;
    for (int b = 0; b < kBursts; ++b) {
        // Longer than a tick: the loop has drained everything and sleeps on all its fds.
        std::this_thread::sleep_for(150ms);
        for (int i = 0; i < kPerBurst; ++i) {
            if (i % 3 == 0) send(skipped_, 200);  // not delivered: not counted, no bytes
            bytes += send(counted_, 60 + static_cast<std::size_t>(b * kPerBurst + i) % 9);
        }
    }
    const Outcome o = p->wait(kExit);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    Summary s;
    ASSERT_TRUE(parse_summary(o.out, s)) << o.out;
    EXPECT_EQ(s.frames, kBursts * kPerBurst);
    EXPECT_EQ(s.bytes, bytes);
    EXPECT_GT(s.ticks, 0U);
    // Each burst finds the loop asleep, and the bus fd wakes it: at least half of them do
    // (a tick that falls within the same microseconds may take a burst's wake-up).
    EXPECT_GE(s.wakeups, static_cast<unsigned long long>(kBursts / 2)) << o.out;
}

TEST_P(EventLoopExample, SigtermEndsItCleanly) {
    auto p = start({"--timeout-ms", "20000"});
    for (int i = 0; i < 5; ++i)
        send(counted_, 64);
    std::this_thread::sleep_for(250ms);  // received, and a tick or two
    p->signal(SIGTERM);
    const Outcome o = p->wait(kExit);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    Summary s;
    ASSERT_TRUE(parse_summary(o.out, s)) << o.out;
    EXPECT_EQ(s.frames, 5U);
    EXPECT_EQ(s.bytes, 5U * 64);
    EXPECT_GT(s.ticks, 0U);
}

TEST_P(EventLoopExample, TimesOutWithoutFrames) {
    auto p = start({"--count", "3", "--timeout-ms", "300"});
    send(skipped_, 100);  // skipped: does not count
    const Outcome o = p->wait(kExit);
    EXPECT_EQ(o.exit_code, 3) << o.err;
    Summary s;
    ASSERT_TRUE(parse_summary(o.out, s)) << o.out;
    EXPECT_EQ(s.frames, 0U);
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
    std::string mode = std::get<0>(info.param);
    for (char& ch : mode)
        if (ch == '-') ch = '_';
    return mode + (std::get<1>(info.param) == SHMIF_FORMAT_NATIVE ? "_Native" : "_Netbsd");
}

INSTANTIATE_TEST_SUITE_P(Loops, EventLoopExample,
                         ::testing::Combine(::testing::Values("poll", "epoll", "epoll-et", "uring"),
                                            shmif::test::kBothFormats),
                         param_name);

}  // namespace
