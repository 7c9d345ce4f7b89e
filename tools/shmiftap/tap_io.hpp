// Batched frame I/O on a TAP fd, two ways: plain read(2)/write(2) loops, or io_uring (one
// io_uring_enter per batch). A TAP fd carries one frame per read or write, so readv/writev
// cannot gather several frames; the plain way's batch is a loop of system calls.
//
// Both ways keep frame order: reads and writes are issued in order and complete inline on
// a non-blocking TAP fd (io_uring reads carry RWF_NOWAIT, so a read of an empty TAP answers
// -EAGAIN at once instead of arming a poll; frames read after an empty read are kept,
// compacted to the front of the batch in arrival order).
//
// Default: io_uring, falling back to plain when the kernel refuses io_uring. Measured with
// bench/shmiftap_bench.cpp (shmiftap-bench: 2 vCPUs shared with other builds, load 1-8,
// batch 64, frames/s, io_uring / plain): bus->tap (writes) x1.04-1.69 at load 1-2 (e.g.
// 60 B 3.22 M vs 3.87 M, 1514 B 1.31 M vs 2.21 M), x0.98-1.14 at load 8; tap->bus (reads,
// with the adaptive read count of tap_io_uring.cpp) x0.94-1.17 (60 B 0.19 M vs 0.22 M,
// 1514 B 0.15 M vs 0.17 M at load 4). Never clearly behind, ahead on writes: io_uring
// saves the per-frame system call entry; the copies are the same either way.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shmif/frame.hpp"

namespace shmiftap {

enum class IoMode : std::uint8_t { plain, uring };
const char* io_mode_name(IoMode mode);
std::optional<IoMode> parse_io_mode(std::string_view text);

// Frames read from the TAP, into caller buffers (Frame::data/capacity set by the caller;
// len is filled in; a frame that fills its buffer completely may have been cut short and
// is reported with orig_len = capacity + 1).
class TapReader {
  public:
    virtual ~TapReader() = default;
    // Waits up to `timeout` for the TAP to turn readable, then reads up to out.size()
    // frames without blocking. 0 frames: nothing came (or EINTR). Error: the errno of a
    // failed read (the interface went away, ...).
    virtual std::expected<std::size_t, int> read(std::span<shmif::Frame> out,
                                                 std::chrono::milliseconds timeout) = 0;
};

struct WriteResult {
    std::size_t written = 0;  // frames the TAP took
    std::uint64_t bytes = 0;  // their bytes
    std::size_t failed = 0;   // frames it refused (EIO while down, EINVAL, ENOBUFS, ...)
    int last_error = 0;       // errno of the last refusal
};

class TapWriter {
  public:
    virtual ~TapWriter() = default;
    // Writes every frame, in order. Refusals are counted, never retried: the TAP is a link,
    // and links lose frames.
    virtual WriteResult write(std::span<const shmif::FrameBytes> frames) = 0;
};

// `batch` bounds the frames per call (the io_uring's queue depth). io_uring setup failures
// (ENOSYS, EPERM under seccomp or kernel.io_uring_disabled) are returned as errno.
std::expected<std::unique_ptr<TapReader>, int> make_tap_reader(int fd, IoMode mode,
                                                               std::size_t batch);
std::expected<std::unique_ptr<TapWriter>, int> make_tap_writer(int fd, IoMode mode,
                                                               std::size_t batch);

// The plain and io_uring implementations (tap_io_plain.cpp, tap_io_uring.cpp).
std::unique_ptr<TapReader> make_plain_reader(int fd);
std::unique_ptr<TapWriter> make_plain_writer(int fd);
std::expected<std::unique_ptr<TapReader>, int> make_uring_reader(int fd, std::size_t batch);
std::expected<std::unique_ptr<TapWriter>, int> make_uring_writer(int fd, std::size_t batch);

// `wanted`, or plain when it is io_uring and this kernel refuses io_uring (ENOSYS, EPERM
// under seccomp or kernel.io_uring_disabled); `note` then says why.
IoMode usable_io_mode(IoMode wanted, std::string& note);

// Waits up to `timeout` for `fd` to turn readable (shared by both readers). false on
// timeout or EINTR.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

}  // namespace shmiftap
