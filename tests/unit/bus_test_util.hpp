// Helpers shared by the libshmif unit tests: deterministic payloads, raw file access (to check
// and forge bus bytes without going through the library), and frame receive buffers.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "shmif/cursor.hpp"
#include "shmif/frame.hpp"

namespace shmif::test {

// Bytes that identify (tag, index): two frames of the same length but different tags differ.
inline std::vector<std::byte> payload(std::size_t len, std::uint32_t tag) {
    std::vector<std::byte> out(len);
    std::uint32_t x = tag * 2654435761U + 0x9e3779b9U;
    for (std::size_t i = 0; i < len; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<std::byte>(x & 0xff);
    }
    return out;
}

inline std::vector<std::byte> read_bytes(const std::string& path, std::uint64_t off,
                                         std::size_t len) {
    std::vector<std::byte> out(len);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + path);
    ssize_t got = ::pread(fd, out.data(), len, static_cast<off_t>(off));
    ::close(fd);
    if (got != static_cast<ssize_t>(len)) throw std::runtime_error("short pread " + path);
    return out;
}

inline void write_bytes(const std::string& path, std::uint64_t off, const void* data,
                        std::size_t len) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + path);
    ssize_t put = ::pwrite(fd, data, len, static_cast<off_t>(off));
    ::close(fd);
    if (put != static_cast<ssize_t>(len)) throw std::runtime_error("short pwrite " + path);
}

// Creates (or truncates) a file with exactly these bytes.
inline void write_file(const std::string& path, const std::vector<std::byte>& bytes,
                       mode_t mode = 0660) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("open " + path);
    ssize_t put = ::write(fd, bytes.data(), bytes.size());
    ::close(fd);
    if (put != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("short write");
}

template <class T>
T read_value(const std::string& path, std::uint64_t off) {
    T v{};
    auto b = read_bytes(path, off, sizeof v);
    std::memcpy(&v, b.data(), sizeof v);
    return v;
}

template <class T>
void write_value(const std::string& path, std::uint64_t off, T v) {
    write_bytes(path, off, &v, sizeof v);
}

template <class T>
T load(const std::vector<std::byte>& bytes, std::size_t off) {
    T v{};
    std::memcpy(&v, bytes.data() + off, sizeof v);
    return v;
}

template <class T>
void store(std::vector<std::byte>& bytes, std::size_t off, T v) {
    std::memcpy(bytes.data() + off, &v, sizeof v);
}

// A received frame with its bytes copied out.
struct Got {
    std::vector<std::byte> data;
    std::size_t orig_len = 0;
    std::uint64_t sender = 0;
    std::uint64_t time_ns = 0;
};

// Receive buffers for up to `n` frames of up to `cap` bytes each.
class RecvBufs {
  public:
    RecvBufs(std::size_t n, std::size_t cap) : storage_(n * cap), frames_(n) {
        for (std::size_t i = 0; i < n; ++i)
            frames_[i] = Frame{storage_.data() + i * cap, cap};
    }
    std::span<Frame> frames() { return frames_; }

  private:
    std::vector<std::byte> storage_;
    std::vector<Frame> frames_;
};

// Everything the cursor delivers now (receive() until it returns 0), bounded in calls.
inline std::vector<Got> drain(Cursor& c, std::size_t cap = 70000, int max_calls = 100000) {
    RecvBufs bufs(16, cap);
    std::vector<Got> out;
    for (int call = 0; call < max_calls; ++call) {
        std::size_t n = c.receive(bufs.frames());
        if (n == 0) break;
        for (std::size_t i = 0; i < n; ++i) {
            const Frame& f = bufs.frames()[i];
            out.push_back(
                {std::vector<std::byte>(f.data, f.data + f.len), f.orig_len, f.sender, f.time_ns});
        }
    }
    return out;
}

inline std::span<const std::byte> bytes_of(const std::vector<std::byte>& v) {
    return v;
}

}  // namespace shmif::test
