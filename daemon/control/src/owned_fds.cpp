// OwnedFds: descriptors that travel with a reply, closed by whoever holds them last.
#include <unistd.h>

#include "shmifd/control/handler.hpp"

namespace shmifd::control {

OwnedFds& OwnedFds::operator=(OwnedFds&& other) noexcept {
    if (this != &other) {
        for (int fd : fds_)
            ::close(fd);
        fds_ = std::exchange(other.fds_, {});
    }
    return *this;
}

OwnedFds::~OwnedFds() {
    for (int fd : fds_)
        ::close(fd);
}

}  // namespace shmifd::control
