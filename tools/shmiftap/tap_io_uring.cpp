// The io_uring way: a batch of reads or writes prepared as SQEs and submitted with one
// io_uring_enter. TAP writes never wait and reads carry RWF_NOWAIT, so every request
// completes inline, in submission order (an empty TAP answers -EAGAIN at once instead of
// parking the read until a frame comes).
#include <liburing.h>
#include <linux/fs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "tap_io.hpp"

namespace shmiftap {
namespace {

// Kept out of line: g++ 12 follows io_uring_get_sqe's NULL path into liburing's inline
// prep helpers past the caller's check and warns (-Wnull-dereference).
[[gnu::noinline]] void prepare(::io_uring_sqe& sqe, bool write, int fd, void* data, std::size_t len,
                               std::uint64_t index) {
    if (write)
        ::io_uring_prep_write(&sqe, fd, data, static_cast<unsigned>(len), 0);
    else
        ::io_uring_prep_read(&sqe, fd, data, static_cast<unsigned>(len), 0);
    // A read of an empty TAP must fail with -EAGAIN, not wait: io_uring would otherwise arm a
    // poll and hold the batch until that many frames came.
    if (!write) sqe.rw_flags = RWF_NOWAIT;
    ::io_uring_sqe_set_data64(&sqe, index);
}

class Ring {
  public:
    Ring() = default;
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    ~Ring() {
        if (ok_) ::io_uring_queue_exit(&ring_);
    }
    int init(unsigned entries) {
        const int rc = ::io_uring_queue_init(entries, &ring_, 0);
        ok_ = rc == 0;
        return rc;
    }
    ::io_uring* get() { return &ring_; }

    // Submits what was prepared, waits for `count` completions and hands each result to
    // `done(index, res)` in submission order (user_data carries the index).
    template <typename Done>
    void run(unsigned count, std::vector<int>& results, Done done) {
        results.assign(count, -EAGAIN);
        int rc = 0;
        for (int attempt = 0; attempt < 3; ++attempt) {
            rc = ::io_uring_submit_and_wait(&ring_, count);
            if (rc >= 0 || rc != -EINTR) break;
        }
        unsigned seen = 0;
        for (int guard = 0; seen < count && guard < 1000; ++guard) {
            ::io_uring_cqe* cqe = nullptr;
            if (::io_uring_wait_cqe(&ring_, &cqe) < 0 || cqe == nullptr) continue;
            const auto index = static_cast<std::size_t>(::io_uring_cqe_get_data64(cqe));
            if (index < results.size()) results[index] = cqe->res;
            ::io_uring_cqe_seen(&ring_, cqe);
            ++seen;
        }
        for (unsigned i = 0; i < count; ++i)
            done(i, results[i]);
    }

  private:
    ::io_uring ring_{};
    bool ok_ = false;
};

class UringReader final : public TapReader {
  public:
    UringReader(int fd, std::size_t batch) : fd_(fd), batch_(batch) {}
    int init() { return ring_.init(static_cast<unsigned>(batch_)); }

    std::expected<std::size_t, int> read(std::span<shmif::Frame> out,
                                         std::chrono::milliseconds timeout) override {
        if (!more_ && !wait_readable(fd_, timeout)) return 0;
        // Every read past the queue's end still costs a trip through the TAP: ask for twice
        // what the last batch found (at least kMinReads), not always for the whole batch.
        const auto wanted =
            static_cast<unsigned>(std::min({out.size(), batch_, std::max(kMinReads, 2 * last_)}));
        unsigned count = 0;
        for (; count < wanted; ++count) {
            ::io_uring_sqe* sqe = ::io_uring_get_sqe(ring_.get());
            if (sqe == nullptr) break;  // cannot happen: the ring is empty between batches
            prepare(*sqe, false, fd_, out[count].data, out[count].capacity, count);
        }
        // A read that found the TAP empty (-EAGAIN) does not end the batch: a frame may have
        // come before the next read ran, and dropping it would lose it uncounted. Frames that
        // did come are compacted to the front, in arrival order; the Frame structs (buffer
        // pointer included) are swapped, so every out[i].data stays a distinct buffer.
        std::size_t n = 0;
        int error = 0;
        ring_.run(count, results_, [&](unsigned i, int res) {
            if (res < 0) {
                if (res != -EAGAIN && res != -EINTR) error = -res;
                return;
            }
            if (i != n) std::swap(out[i], out[n]);
            shmif::Frame& f = out[n];
            f.len = static_cast<std::size_t>(res);
            f.orig_len = f.len == f.capacity ? f.capacity + 1 : f.len;
            ++n;
        });
        more_ = n == count;
        last_ = n;
        if (n == 0 && error != 0) return std::unexpected(error);
        return n;
    }

  private:
    int fd_;
    std::size_t batch_;
    Ring ring_;
    std::vector<int> results_;
    bool more_ = false;
    std::size_t last_ = 0;  // frames the last batch found
    static constexpr std::size_t kMinReads = 4;
};

class UringWriter final : public TapWriter {
  public:
    UringWriter(int fd, std::size_t batch) : fd_(fd), batch_(batch) {}
    int init() { return ring_.init(static_cast<unsigned>(batch_)); }

    WriteResult write(std::span<const shmif::FrameBytes> frames) override {
        WriteResult r;
        while (!frames.empty()) {
            const auto wanted = static_cast<unsigned>(std::min(frames.size(), batch_));
            unsigned count = 0;
            for (; count < wanted; ++count) {
                ::io_uring_sqe* sqe = ::io_uring_get_sqe(ring_.get());
                if (sqe == nullptr) break;  // cannot happen: the ring is empty between batches
                prepare(*sqe, true, fd_, const_cast<std::byte*>(frames[count].data()),
                        frames[count].size(), count);
            }
            if (count == 0) {  // keeps the loop finite whatever happens
                r.failed += frames.size();
                r.last_error = EBUSY;
                break;
            }
            ring_.run(count, results_, [&](unsigned i, int res) {
                if (res < 0) {
                    ++r.failed;
                    r.last_error = -res;
                } else {
                    ++r.written;
                    r.bytes += frames[i].size();
                }
            });
            frames = frames.subspan(count);
        }
        return r;
    }

  private:
    int fd_;
    std::size_t batch_;
    Ring ring_;
    std::vector<int> results_;
};

}  // namespace

IoMode usable_io_mode(IoMode wanted, std::string& note) {
    if (wanted != IoMode::uring) return wanted;
    Ring probe;
    if (const int rc = probe.init(1); rc < 0) {
        note = std::string("io_uring unavailable (") + std::strerror(-rc) + "), using plain I/O";
        return IoMode::plain;
    }
    return wanted;
}

std::expected<std::unique_ptr<TapReader>, int> make_uring_reader(int fd, std::size_t batch) {
    auto r = std::make_unique<UringReader>(fd, batch);
    if (const int rc = r->init(); rc < 0) return std::unexpected(-rc);
    return r;
}

std::expected<std::unique_ptr<TapWriter>, int> make_uring_writer(int fd, std::size_t batch) {
    auto w = std::make_unique<UringWriter>(fd, batch);
    if (const int rc = w->init(); rc < 0) return std::unexpected(-rc);
    return w;
}

}  // namespace shmiftap
