#include "tap_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace shmiftap {
namespace {

std::unexpected<TapError> fail(const char* what) {
    return std::unexpected(TapError{what, errno});
}

void copy_name(::ifreq& ifr, const std::string& name) {
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
}

// Interface ioctls (flags, MTU) go through any socket of the interface's namespace.
class ControlSocket {
  public:
    ControlSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~ControlSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

}  // namespace

std::string describe(const TapError& error) {
    if (error.os_error == 0) return error.what;
    return error.what + ": " + std::strerror(error.os_error);
}

std::expected<TapDevice, TapError> TapDevice::open(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ) {
        errno = EINVAL;
        return fail("interface name (1 to 15 characters)");
    }
    const bool existed = ::if_nametoindex(name.c_str()) != 0;
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail("open /dev/net/tun");
    ::ifreq ifr{};
    copy_name(ifr, name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
        const int err = errno;
        ::close(fd);
        errno = err;
        return fail(existed ? "TUNSETIFF (attach: is it a TAP owned by someone else, or a TUN?)"
                            : "TUNSETIFF");
    }
    return TapDevice(fd, ifr.ifr_name, !existed);
}

TapDevice::TapDevice(TapDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)), created_(other.created_) {}

TapDevice::~TapDevice() {
    if (fd_ >= 0) ::close(fd_);
}

std::expected<void, TapError> TapDevice::set_up() {
    ControlSocket sock;
    if (sock.fd() < 0) return fail("socket");
    ::ifreq ifr{};
    copy_name(ifr, name_);
    if (::ioctl(sock.fd(), SIOCGIFFLAGS, &ifr) < 0) return fail("SIOCGIFFLAGS");
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock.fd(), SIOCSIFFLAGS, &ifr) < 0) return fail("SIOCSIFFLAGS (set up)");
    return {};
}

std::expected<void, TapError> TapDevice::set_mtu(std::size_t mtu) {
    ControlSocket sock;
    if (sock.fd() < 0) return fail("socket");
    ::ifreq ifr{};
    copy_name(ifr, name_);
    ifr.ifr_mtu = static_cast<int>(mtu);
    if (::ioctl(sock.fd(), SIOCSIFMTU, &ifr) < 0) return fail("SIOCSIFMTU (set mtu)");
    return {};
}

std::expected<std::size_t, TapError> TapDevice::mtu() const {
    ControlSocket sock;
    if (sock.fd() < 0) return fail("socket");
    ::ifreq ifr{};
    copy_name(ifr, name_);
    if (::ioctl(sock.fd(), SIOCGIFMTU, &ifr) < 0) return fail("SIOCGIFMTU");
    return static_cast<std::size_t>(ifr.ifr_mtu);
}

}  // namespace shmiftap
