// A Linux TAP interface opened through /dev/net/tun: the host seam of shmiftap. Every ioctl
// the tool makes lives in tap_device.cpp.
//
// Opening creates the interface when it does not exist (it then vanishes when the fd is
// closed) or attaches to an existing persistent one (`ip tuntap add dev NAME mode tap`).
// Frames are whole Ethernet frames without a packet-information header (IFF_NO_PI) and
// without offloads, so every read(2) returns one frame and every write(2) takes one.
#pragma once

#include <cstddef>
#include <expected>
#include <string>

namespace shmiftap {

struct TapError {
    std::string what;  // "open /dev/net/tun", "TUNSETIFF", "SIOCSIFFLAGS", ...
    int os_error = 0;  // errno
};
std::string describe(const TapError& error);

class TapDevice {
  public:
    // The fd is non-blocking: readers wait for readiness first (see tap_io.hpp).
    static std::expected<TapDevice, TapError> open(const std::string& name);

    TapDevice(TapDevice&& other) noexcept;
    TapDevice& operator=(TapDevice&&) = delete;
    TapDevice(const TapDevice&) = delete;
    ~TapDevice();

    int fd() const { return fd_; }
    const std::string& name() const { return name_; }  // as the kernel named it
    bool created() const { return created_; }          // false: attached to an existing one

    // Sets IFF_UP (ip link set NAME up).
    std::expected<void, TapError> set_up();
    std::expected<void, TapError> set_mtu(std::size_t mtu);
    std::expected<std::size_t, TapError> mtu() const;

  private:
    TapDevice(int fd, std::string name, bool created)
        : fd_(fd), name_(std::move(name)), created_(created) {}
    int fd_ = -1;
    std::string name_;
    bool created_ = false;
};

}  // namespace shmiftap
