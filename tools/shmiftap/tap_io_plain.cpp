// The plain way: one read(2) or write(2) per frame.
#include <unistd.h>

#include <cerrno>

#include "tap_io.hpp"

namespace shmiftap {
namespace {

class PlainReader final : public TapReader {
  public:
    explicit PlainReader(int fd) : fd_(fd) {}

    std::expected<std::size_t, int> read(std::span<shmif::Frame> out,
                                         std::chrono::milliseconds timeout) override {
        // A full batch last time means more is probably queued: skip the poll.
        if (!more_ && !wait_readable(fd_, timeout)) return 0;
        std::size_t n = 0;
        while (n < out.size()) {
            shmif::Frame& f = out[n];
            const ssize_t got = ::read(fd_, f.data, f.capacity);
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                if (n > 0) break;  // report the frames first; the error comes back next time
                return std::unexpected(errno);
            }
            f.len = static_cast<std::size_t>(got);
            f.orig_len = f.len == f.capacity ? f.capacity + 1 : f.len;
            ++n;
        }
        more_ = n == out.size();
        return n;
    }

  private:
    int fd_;
    bool more_ = false;
};

class PlainWriter final : public TapWriter {
  public:
    explicit PlainWriter(int fd) : fd_(fd) {}

    WriteResult write(std::span<const shmif::FrameBytes> frames) override {
        WriteResult r;
        for (const auto& f : frames) {
            ssize_t put = -1;
            for (int attempt = 0; attempt < 3; ++attempt) {  // EINTR: a stop signal, retry
                put = ::write(fd_, f.data(), f.size());
                if (put >= 0 || errno != EINTR) break;
            }
            if (put < 0) {
                ++r.failed;
                r.last_error = errno;
            } else {
                ++r.written;
                r.bytes += f.size();
            }
        }
        return r;
    }

  private:
    int fd_;
};

}  // namespace

std::unique_ptr<TapReader> make_plain_reader(int fd) {
    return std::make_unique<PlainReader>(fd);
}

std::unique_ptr<TapWriter> make_plain_writer(int fd) {
    return std::make_unique<PlainWriter>(fd);
}

}  // namespace shmiftap
