// A descriptor owned by one object and closed with it (closed with the raw system call: see
// kernel.hpp).
#pragma once

#include <utility>

#include "kernel.hpp"

namespace shmifsock {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) kernel::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_ = -1;
};

}  // namespace shmifsock
