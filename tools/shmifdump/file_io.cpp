#include "file_io.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace shmifdump {
namespace {

constexpr std::size_t kChunk = 1U << 20;  // bytes gathered before one write

bool write_all(int fd, const std::byte* p, std::size_t n, int& error) {
    while (n > 0) {
        const ssize_t r = ::write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            error = errno;
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

class FdOutput : public Output {
  public:
    FdOutput(int fd, bool owned) : fd_(fd), owned_(owned) {}
    ~FdOutput() override {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }
    bool close() override {
        const bool ok = flush();
        if (owned_ && fd_ >= 0 && ::close(fd_) != 0 && error_ == 0) error_ = errno;
        fd_ = -1;
        return ok && error_ == 0;
    }

  protected:
    int fd_;
    bool owned_;
};

class PlainOutput final : public FdOutput {
  public:
    PlainOutput(int fd, bool owned) : FdOutput(fd, owned) { buf_.reserve(kChunk); }
    ~PlainOutput() override { (void)flush(); }
    IoMode mode() const override { return IoMode::plain; }
    bool write(const void* data, std::size_t len) override {
        if (error_ != 0) return false;
        bytes_ += len;
        if (buf_.size() + len > kChunk && !flush()) return false;
        if (len >= kChunk) return write_all(fd_, static_cast<const std::byte*>(data), len, error_);
        const auto* p = static_cast<const std::byte*>(data);
        buf_.insert(buf_.end(), p, p + len);
        return true;
    }
    bool flush() override {
        if (error_ != 0 || fd_ < 0) return error_ == 0;
        const bool ok = write_all(fd_, buf_.data(), buf_.size(), error_);
        buf_.clear();
        return ok;
    }

  private:
    std::vector<std::byte> buf_;
};

// Writes chunks asynchronously: the current chunk fills while up to kBuffers - 1 earlier
// ones are in the kernel's hands. Each submission writes at its own offset, so completions
// may come in any order.
class UringOutput final : public FdOutput {
  public:
    static constexpr unsigned kBuffers = 4;

    UringOutput(int fd, bool owned, ::io_uring* ring, std::uint64_t offset)
        : FdOutput(fd, owned), ring_(*ring), offset_(offset) {
        for (auto& c : chunks_)
            c.data.resize(kChunk);
    }
    ~UringOutput() override {
        (void)flush();
        ::io_uring_queue_exit(&ring_);
    }
    IoMode mode() const override { return IoMode::uring; }

    bool write(const void* data, std::size_t len) override {
        if (error_ != 0) return false;
        bytes_ += len;
        const auto* p = static_cast<const std::byte*>(data);
        while (len > 0) {
            Chunk& c = chunks_[current_];
            const std::size_t n = std::min(len, kChunk - c.used);
            std::memcpy(c.data.data() + c.used, p, n);
            c.used += n;
            p += n;
            len -= n;
            if (c.used == kChunk && !submit_current()) return false;
        }
        return true;
    }

    bool flush() override {
        if (error_ != 0 || fd_ < 0) return error_ == 0;
        if (chunks_[current_].used > 0 && !submit_current()) return false;
        while (in_flight_ > 0)
            if (!reap(true)) return false;
        return error_ == 0;
    }

  private:
    struct Chunk {
        std::vector<std::byte> data;
        std::size_t used = 0;     // bytes filled
        std::size_t written = 0;  // bytes the kernel has taken (short writes resubmit)
        std::uint64_t offset = 0;
        bool busy = false;
    };

    bool submit(unsigned index) {
        Chunk& c = chunks_[index];
        ::io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {  // cannot happen with kBuffers <= ring entries; be safe
            error_ = EBUSY;
            return false;
        }
        ::io_uring_prep_write(sqe, fd_, c.data.data() + c.written,
                              static_cast<unsigned>(c.used - c.written), c.offset + c.written);
        ::io_uring_sqe_set_data64(sqe, index);
        const int r = ::io_uring_submit(&ring_);
        if (r < 0) {
            error_ = -r;
            return false;
        }
        return true;
    }

    bool submit_current() {
        Chunk& c = chunks_[current_];
        c.offset = offset_;
        c.written = 0;
        c.busy = true;
        offset_ += c.used;
        if (!submit(current_)) return false;
        ++in_flight_;
        // Next free chunk; wait for a completion when all are in flight.
        for (;;) {
            for (unsigned i = 0; i < kBuffers; ++i) {
                if (!chunks_[i].busy) {
                    current_ = i;
                    return true;
                }
            }
            if (!reap(true)) return false;
        }
    }

    // Takes one completion (waiting for it when `wait`); resubmits the rest of a short write.
    bool reap(bool wait) {
        ::io_uring_cqe* cqe = nullptr;
        int r = wait ? ::io_uring_wait_cqe(&ring_, &cqe) : ::io_uring_peek_cqe(&ring_, &cqe);
        if (r == -EINTR || r == -EAGAIN) return true;
        if (r < 0) {
            error_ = -r;
            return false;
        }
        const auto index = static_cast<unsigned>(::io_uring_cqe_get_data64(cqe));
        const int res = cqe->res;
        ::io_uring_cqe_seen(&ring_, cqe);
        Chunk& c = chunks_[index];
        if (res < 0) {
            error_ = -res;
            return false;
        }
        if (res == 0) {
            error_ = EIO;
            return false;
        }
        c.written += static_cast<std::size_t>(res);
        if (c.written < c.used) return submit(index);
        c.busy = false;
        c.used = 0;
        --in_flight_;
        return true;
    }

    ::io_uring ring_;
    std::array<Chunk, kBuffers> chunks_;
    unsigned current_ = 0;
    unsigned in_flight_ = 0;
    std::uint64_t offset_;
};

ssize_t cookie_write(void* cookie, const char* buf, std::size_t size) {
    auto* out = static_cast<Output*>(cookie);
    if (!out->write(buf, size)) {
        errno = out->error();
        return -1;
    }
    return static_cast<ssize_t>(size);
}

}  // namespace

int probe_uring() {
    ::io_uring ring;
    const int r = ::io_uring_queue_init(8, &ring, 0);
    if (r < 0) return -r;
    ::io_uring_queue_exit(&ring);
    return 0;
}

int open_output(const std::string& path, IoMode mode, OpenedOutput& result) {
    int fd = 1;
    const bool owned = path != "-";
    if (owned) {
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return errno;
    }
    if (mode == IoMode::uring) {
        struct ::stat st {};
        // Pipes and terminals have no offsets to write at: plain writes, silently.
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            ::io_uring ring;
            const int r = ::io_uring_queue_init(UringOutput::kBuffers * 2, &ring, 0);
            if (r == 0) {
                const off_t at = ::lseek(fd, 0, SEEK_CUR);
                result.out = std::make_unique<UringOutput>(
                    fd, owned, &ring, static_cast<std::uint64_t>(at < 0 ? 0 : at));
                return 0;
            }
            result.note =
                std::string("io_uring unavailable (") + std::strerror(-r) + "): plain writes";
        }
    }
    result.out = std::make_unique<PlainOutput>(fd, owned);
    return 0;
}

std::FILE* open_stream(Output& out) {
    cookie_io_functions_t fns{};
    fns.write = cookie_write;
    std::FILE* f = ::fopencookie(&out, "w", fns);
    if (f != nullptr) std::setvbuf(f, nullptr, _IONBF, 0);
    return f;
}

}  // namespace shmifdump
