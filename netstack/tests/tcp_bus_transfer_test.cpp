// TCP between two stacks over a real bus file, each on its own BusDevice behind a
// FaultInjector (loss, reordering and duplication on every frame it transmits), each stack on
// its own thread: 1 GiB each way at once arrives intact, every byte compared with the pattern
// at its position. 64 MiB under sanitizers, and at 5 % loss (see Size; said in the output). Every
// loop is bounded in turns and in time; the MiB/s of each run is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "netstack/bus_device.hpp"
#include "netstack/middleware.hpp"
#include "netstack/stack.hpp"
#include "temp_dir.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NSTEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NSTEST_SANITIZED 1
#endif
#endif

namespace nstest {
namespace {

using namespace netstack;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How much each side sends: 1 GiB, or 64 MiB under sanitizers. At 5 % loss our TCP spends
// most of its time in retransmission timeouts (about 2 per MiB, 200 ms and more each: 1.2
// MiB/s each way on a loaded 2-core machine, so 1 GiB would take a quarter of an hour), so
// that run moves 64 MiB (16 MiB under sanitizers), and says so.
struct Size {
    std::uint64_t bytes;
    const char* text;
};
#ifdef NSTEST_SANITIZED
constexpr Size kFull{64ull << 20, "64 MiB (1 GiB scaled down: sanitizer build)"};
// Still about 600 losses each way: every recovery path runs, in a quarter of the time (CI's
// budget: this one test took 80-95 s under ASan and TSan at 64 MiB).
constexpr Size kAtFivePercent{16ull << 20, "16 MiB (64 MiB scaled down: sanitizer build)"};
#else
constexpr Size kFull{1ull << 30, "1 GiB"};
constexpr Size kAtFivePercent{64ull << 20,
                              "64 MiB (not 1 GiB: at 5 % loss the timeouts would take minutes)"};
#endif
// Bounds on the whole transfer: wall time (under ctest's 300 s) and loop turns per side.
constexpr auto kDeadline = 240s;
constexpr std::uint64_t kMaxTurns = 400'000'000;

// The stream of side `tag`: byte i is table[i % P] ^ key(i / P)[i % 8], P a prime (65,521)
// and key a 64-bit mix of the block number and the tag, so a segment placed at any other
// offset (even a multiple of P away) or taken from the other side's stream differs.
class Pattern {
  public:
    static constexpr std::size_t period = 65521;

    explicit Pattern(std::uint8_t tag) : tag_(tag) {
        SplitMix64 rng(0x7a11u + tag);
        for (auto& b : table_)
            b = static_cast<std::uint8_t>(rng.next() >> 56);
    }
    // out[k] = byte (pos + k) of the stream.
    void fill(std::uint64_t pos, std::span<std::byte> out) const {
        std::size_t done = 0;
        while (done < out.size()) {
            const std::uint64_t at = pos + done;
            const auto offset = static_cast<std::size_t>(at % period);
            const auto key = block_key(at / period);
            const std::size_t n = std::min(out.size() - done, period - offset);
            for (std::size_t k = 0; k < n; ++k)
                out[done + k] = std::byte(static_cast<std::uint8_t>(
                    table_[offset + k] ^ static_cast<std::uint8_t>(key >> (8 * ((at + k) & 7)))));
            done += n;
        }
    }
    // The first k with data[k] != byte (pos + k), or nullopt when all match.
    std::optional<std::size_t> mismatch(std::uint64_t pos, std::span<const std::byte> data) const {
        std::array<std::byte, 4096> want{};
        for (std::size_t done = 0; done < data.size(); done += want.size()) {
            const std::size_t n = std::min(want.size(), data.size() - done);
            fill(pos + done, std::span(want).first(n));
            if (!std::equal(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(n),
                            data.begin() + static_cast<std::ptrdiff_t>(done)))
                for (std::size_t k = 0; k < n; ++k)
                    if (want[k] != data[done + k]) return done + k;
        }
        return std::nullopt;
    }

  private:
    std::uint64_t block_key(std::uint64_t block) const {
        SplitMix64 mix(block * 0x9e3779b97f4a7c15ull + tag_);
        return mix.next();
    }
    std::uint8_t tag_;
    std::array<std::uint8_t, period> table_{};
};

// One stack on the bus at 10.0.0.<n>/24: its BusDevice wrapped in a FaultInjector (what the
// stack transmits), a BusPort reading the bus into the stack.
class Node {
  public:
    Node(const shmif::Bus& bus, std::uint8_t n, FaultConfig faults, std::uint64_t total)
        : device_(bus, {.sender = 0x7c90u + n}),
          faulty_(device_, faults),
          stack_(config(n)),
          pattern_(n),
          total_(total) {
        InterfaceConfig c;
        c.name = "bus0";
        c.mtu = 1500;  // Ethernet's: the segment counts (and losses) of a real LAN
        const auto id = stack_.add_interface(c, faulty_);
        if (!id) throw std::runtime_error(std::string("add_interface: ") + describe(id.error()));
        const auto added = stack_.add_address(*id, {address(n), 24}, Clock::now());
        if (!added)
            throw std::runtime_error("add_address: " + std::string(describe(added.error())));
        device_.flush();
        port_ = std::make_unique<BusPort>(bus, stack_, *id, device_);
    }
    static Ipv4Address address(std::uint8_t n) { return Ipv4Address::from_octets(10, 0, 0, n); }
    static StackConfig config(std::uint8_t n) {
        StackConfig c;
        c.seed = n;
        return c;
    }

    Stack& stack() { return stack_; }
    void set_socket(SocketId s) { socket_ = s; }
    void set_listener(SocketId s) { listener_ = s; }
    bool done() const { return sent_ == total_ && received_ == total_; }
    std::uint64_t sent() const { return sent_; }
    std::uint64_t received() const { return received_; }
    std::uint64_t turns() const { return turns_; }
    const std::string& error() const { return error_; }
    const FaultStats& faults() const { return faulty_.stats(); }
    const shmif::CursorStats& cursor() { return port_->cursor().stats(); }

    // Runs this side until both sides are done (`peer_done`), an error, or the bounds.
    void run(const std::atomic<bool>& peer_done, std::atomic<bool>& self_done,
             std::atomic<bool>& failed, const Pattern& peer_pattern, Clock::time_point deadline) {
        while (!failed.load(std::memory_order_relaxed)) {
            if (++turns_ > kMaxTurns || Clock::now() > deadline) {
                error_ = "ran out of time or turns";
                break;
            }
            Instant now = Clock::now();
            std::size_t moved = port_->pump(now, 4);
            if (socket_ == 0 && listener_ != 0)
                if (auto s = stack_.tcp_accept(listener_)) socket_ = *s;
            if (socket_ != 0) {
                moved += send(now);
                moved += receive(now, peer_pattern);
                if (!error_.empty()) break;
            }
            faulty_.release_held();
            if (const auto due = stack_.poll_at(); due && *due <= now) stack_.poll(now);
            device_.flush();
            if (done() && !self_done.load(std::memory_order_relaxed))
                self_done.store(true, std::memory_order_release);
            if (self_done.load(std::memory_order_relaxed) &&
                peer_done.load(std::memory_order_acquire))
                return;
            if (moved == 0) {
                // Nothing came or went: sleep on the bus until a frame or the next timer, 1 ms
                // at most.
                std::chrono::nanoseconds wait = 1ms;
                if (const auto due = stack_.poll_at())
                    wait = std::clamp<std::chrono::nanoseconds>(*due - now, 0ns, wait);
                (void)port_->pump_wait(wait);
                now = Clock::now();
                if (const auto due = stack_.poll_at(); due && *due <= now) stack_.poll(now);
                device_.flush();
            }
        }
        failed.store(true, std::memory_order_release);
    }

  private:
    // Nothing to do now (or the handshake is still under way): not a failure.
    static bool benign(SocketError e) {
        return e == SocketError::would_block || e == SocketError::not_connected ||
               e == SocketError::in_progress;
    }
    std::size_t send(Instant now) {
        std::size_t moved = 0;
        for (int i = 0; i < 16 && sent_ < total_; ++i) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), total_ - sent_));
            pattern_.fill(sent_, std::span(chunk_).first(n));
            const auto r = stack_.tcp_send(socket_, std::span(chunk_).first(n), now);
            if (!r) {
                if (!benign(r.error())) error_ = std::string("tcp_send: ") + describe(r.error());
                break;
            }
            if (*r == 0) break;
            sent_ += *r;
            moved += *r;
        }
        return moved;
    }
    std::size_t receive(Instant now, const Pattern& peer_pattern) {
        std::size_t moved = 0;
        for (int i = 0; i < 64; ++i) {
            const auto r = stack_.tcp_receive(socket_, chunk_, now);
            if (!r) {
                if (!benign(r.error())) error_ = std::string("tcp_receive: ") + describe(r.error());
                break;
            }
            if (*r == 0) {
                if (received_ < total_)
                    error_ = "end of stream after " + std::to_string(received_) + " bytes";
                break;
            }
            const auto data = std::span<const std::byte>(chunk_).first(*r);
            if (const auto bad = peer_pattern.mismatch(received_, data)) {
                error_ = "wrong byte at stream position " + std::to_string(received_ + *bad);
                break;
            }
            received_ += *r;
            moved += *r;
            if (received_ > total_) {
                error_ = "more bytes than were sent";
                break;
            }
        }
        return moved;
    }

    BusDevice device_;
    FaultInjector faulty_;
    Stack stack_;
    Pattern pattern_;
    std::unique_ptr<BusPort> port_;
    SocketId socket_ = 0, listener_ = 0;
    std::uint64_t total_;
    std::uint64_t sent_ = 0, received_ = 0, turns_ = 0;
    std::string error_;
    std::array<std::byte, 65536> chunk_{};
};

void transfer_both_ways(double rate, Size size) {
    shmif::test::TempDir dir;
    // 16 MiB of ring: a side busy with a burst of its own does not get lapped.
    auto bus = shmif::Bus::create(dir.file("bus"), {.size = (16u << 20) + 4096});
    ASSERT_TRUE(bus) << shmif::describe(bus.error());
    const FaultConfig fa{.seed = 101, .drop = rate, .duplicate = rate, .reorder = rate};
    const FaultConfig fb{.seed = 202, .drop = rate, .duplicate = rate, .reorder = rate};
    Node a(*bus, 1, fa, size.bytes), b(*bus, 2, fb, size.bytes);

    const SocketId listener = *b.stack().tcp_open();
    ASSERT_TRUE(b.stack().tcp_bind(listener, {Ipv4Address::any(), 9000}));
    ASSERT_TRUE(b.stack().tcp_listen(listener, 1));
    b.set_listener(listener);
    const SocketId client = *a.stack().tcp_open();
    ASSERT_TRUE(a.stack().tcp_connect(client, {Node::address(2), 9000}, Clock::now()));
    a.set_socket(client);

    const Pattern pattern_a(1), pattern_b(2);
    std::atomic<bool> a_done{false}, b_done{false}, failed{false};
    const auto start = Clock::now();
    const auto deadline = start + kDeadline;
    std::thread tb([&] { b.run(a_done, b_done, failed, pattern_a, deadline); });
    a.run(b_done, a_done, failed, pattern_b, deadline);
    tb.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

    EXPECT_EQ(a.error(), "");
    EXPECT_EQ(b.error(), "");
    EXPECT_EQ(a.sent(), size.bytes);
    EXPECT_EQ(b.sent(), size.bytes);
    EXPECT_EQ(a.received(), size.bytes) << "of b's stream";
    EXPECT_EQ(b.received(), size.bytes) << "of a's stream";
    const auto& sa = a.stack().stats().tcp;
    const auto& sb = b.stack().stats().tcp;
    std::printf(
        "%.0f%% loss, reordering, duplication: %s each way at once over a bus file in %.2f s: "
        "%.1f MiB/s each way, %.1f MiB/s together; retransmits a=%llu b=%llu (timeouts a=%llu "
        "b=%llu, fast recoveries a=%llu b=%llu); frames dropped "
        "a=%llu b=%llu, duplicated a=%llu b=%llu, reordered a=%llu b=%llu; lapped on the bus "
        "a=%llu b=%llu frames; loop turns a=%llu b=%llu\n",
        rate * 100, size.text, seconds, static_cast<double>(a.received()) / (1 << 20) / seconds,
        static_cast<double>(a.received() + b.received()) / (1 << 20) / seconds,
        static_cast<unsigned long long>(sa.retransmits),
        static_cast<unsigned long long>(sb.retransmits),
        static_cast<unsigned long long>(sa.timeouts), static_cast<unsigned long long>(sb.timeouts),
        static_cast<unsigned long long>(sa.fast_retransmits),
        static_cast<unsigned long long>(sb.fast_retransmits),
        static_cast<unsigned long long>(a.faults().dropped),
        static_cast<unsigned long long>(b.faults().dropped),
        static_cast<unsigned long long>(a.faults().duplicated),
        static_cast<unsigned long long>(b.faults().duplicated),
        static_cast<unsigned long long>(a.faults().reordered),
        static_cast<unsigned long long>(b.faults().reordered),
        static_cast<unsigned long long>(a.cursor().lost_frames),
        static_cast<unsigned long long>(b.cursor().lost_frames),
        static_cast<unsigned long long>(a.turns()), static_cast<unsigned long long>(b.turns()));
    // The faults did happen.
    if (rate > 0) {
        EXPECT_GT(a.faults().dropped, 0u);
        EXPECT_GT(b.faults().duplicated, 0u);
        EXPECT_GT(a.faults().reordered, 0u);
    }
}

TEST(TcpOverBus, OnePercentLossReorderingDuplicationBothWaysAtOnce) {
    transfer_both_ways(0.01, kFull);
}

TEST(TcpOverBus, FivePercentLossReorderingDuplicationBothWaysAtOnce) {
    transfer_both_ways(0.05, kFull.bytes <= kAtFivePercent.bytes ? kFull : kAtFivePercent);
}

}  // namespace
}  // namespace nstest
