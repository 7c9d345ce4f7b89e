// A native reader must use a record's length exactly as it validated it. Writers that lap a
// reader (or a hostile process) may rewrite a length word between two reads of it, and
// `reserved` only says afterwards that the copy is void: by then a copy sized by a second
// read has already happened. Sized by payload bytes it can run past the record, the end of
// the ring and the end of the mapping; under AddressSanitizer the memory after the mapping
// is its own poisoned heap, and the copy aborts the process.
//
// Here the length word of a committed record is flipped between its true value and one
// that does not fit the record's span, without moving `reserved`, so nothing tells the
// reader its copy was torn. Every frame delivered must then have the true length; a record
// read while the word was wrong must be refused as corrupt. Where the flips land is up to a
// timer, so the test also requires that they were seen at all.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <vector>

#include "bus_test_util.hpp"
#include "layout_native.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/writer.hpp"
#include "temp_dir.hpp"

namespace shmif::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kRing = 64 * 1024;
// Record span 2048; each send is a 16-byte gate and its record: records at ring offsets 16 and
// 2080 (the gates at 0 and 2064).
constexpr std::uint32_t kLen = 2016;
constexpr std::uint32_t kWrongLen = 4000;  // fits max_frame and the reader's buffer, not the span
constexpr std::uint64_t kFlippedRecord = 2080;  // ring offset of the second record
constexpr int kMaxRounds = 2'000'000;
constexpr auto kMaxTime = std::chrono::seconds(1);

static_assert(native::kGate + native::record_span(kLen) + native::kGate == kFlippedRecord);
static_assert(native::record_span(kWrongLen) != native::record_span(kLen));

// The bus file mapped a second time, as another process would see it.
class Mapping {
  public:
    explicit Mapping(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) return;
        base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
    }
    ~Mapping() {
        if (ok()) ::munmap(base_, size_);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    bool ok() const { return base_ != MAP_FAILED; }
    std::uint32_t* len_word(std::uint64_t ring_off) const {
        auto* record = static_cast<std::byte*>(base_) + native::kHeaderSize + ring_off;
        return &reinterpret_cast<native::RecordHeader*>(record)->len;
    }

  private:
    std::size_t size_ = native::kHeaderSize + kRing;
    void* base_ = MAP_FAILED;
};

// Flips the length word from a timer signal, taken by the test's one thread (the reader)
// at whatever instruction it is: so the word may change between any two of the reader's own
// reads, on one CPU as on many, however loaded the machine.
std::uint32_t* g_flipped_word = nullptr;

extern "C" void flip_length(int) {
    const std::uint32_t now = __atomic_load_n(g_flipped_word, __ATOMIC_RELAXED);
    __atomic_store_n(g_flipped_word, now == kLen ? kWrongLen : kLen, __ATOMIC_RELAXED);
}

class Flipper {
  public:
    explicit Flipper(std::uint32_t* word) {
        g_flipped_word = word;
        struct sigaction sa {};
        sa.sa_handler = flip_length;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGALRM, &sa, &old_);
        const itimerval every{{0, kPeriodUs}, {0, kPeriodUs}};
        ::setitimer(ITIMER_REAL, &every, nullptr);
    }
    ~Flipper() {
        const itimerval off{};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        ::sigaction(SIGALRM, &old_, nullptr);
        __atomic_store_n(g_flipped_word, kLen, __ATOMIC_RELAXED);
    }
    Flipper(const Flipper&) = delete;
    Flipper& operator=(const Flipper&) = delete;

  private:
    static constexpr suseconds_t kPeriodUs = 97;  // odd, so not in step with the rounds
    struct sigaction old_ {};
};

struct Outcome {
    std::uint64_t delivered = 0;  // frames of the flipped record handed out
    std::uint64_t wrong_len = 0;  // ... with a length other than the record's
    std::uint64_t refused = 0;    // records found with the wrong length, counted corrupt
};

class NativeLengthReread : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(bus_.has_value()) << describe(bus_.error());
        Writer w(*bus_);
        ASSERT_TRUE(w.send(payload(kLen, 1)).has_value());
        ASSERT_TRUE(w.send(payload(kLen, 2)).has_value());
        ASSERT_TRUE(mapping_.ok());
    }

    // Reads both records again and again from fresh cursors (the first record, untouched,
    // anchors the sequence numbers) while the second one's length word flips.
    template <class ReadOnce>
    Outcome race(ReadOnce&& read_once) {
        Outcome out;
        Flipper flipper(mapping_.len_word(kFlippedRecord));
        const auto deadline = Clock::now() + kMaxTime;
        for (int round = 0; round < kMaxRounds && out.wrong_len == 0; ++round) {
            if (Clock::now() > deadline) break;
            Cursor c(*bus_, {.start = StartAt::oldest});
            read_once(c, out);
            out.refused += c.stats().corrupt;
        }
        return out;
    }

    TempDir dir_;
    std::string path_ = dir_.file("bus");
    std::expected<Bus, Error> bus_ = Bus::create(path_, {.size = native::kHeaderSize + kRing});
    Mapping mapping_{path_};
};

TEST_F(NativeLengthReread, ReceiveCopiesTheValidatedLength) {
    RecvBufs bufs(2, 8192);
    const Outcome out = race([&](Cursor& c, Outcome& o) {
        const std::size_t n = c.receive(bufs.frames());
        for (std::size_t i = 1; i < n; ++i) {
            const Frame& f = bufs.frames()[i];
            ++o.delivered;
            if (f.len != kLen || f.orig_len != kLen) ++o.wrong_len;
        }
    });
    EXPECT_EQ(out.wrong_len, 0U) << "of " << out.delivered << " frames";
    EXPECT_GT(out.delivered, 0U);
    EXPECT_GT(out.refused, 0U) << "the flips were never seen: nothing was tested";
}

TEST_F(NativeLengthReread, PeekShowsTheValidatedLength) {
    std::vector<FrameView> views(2);
    const Outcome out = race([&](Cursor& c, Outcome& o) {
        const std::size_t n = c.peek(views);
        for (std::size_t i = 1; i < n; ++i) {
            ++o.delivered;
            if (views[i].data.size() != kLen) ++o.wrong_len;
        }
        c.advance(n);  // applies the corruption count a refused record left
    });
    EXPECT_EQ(out.wrong_len, 0U) << "of " << out.delivered << " views";
    EXPECT_GT(out.delivered, 0U);
    EXPECT_GT(out.refused, 0U) << "the flips were never seen: nothing was tested";
}

}  // namespace
}  // namespace shmif::test
