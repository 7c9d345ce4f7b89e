#include "shmifd/control/pass_fds.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace shmifd::control {

ssize_t send_with_fds(int socket, const void* data, std::size_t size, std::span<const int> fds,
                      int flags) {
    iovec part{const_cast<void*>(data), size};
    msghdr msg{};
    msg.msg_iov = &part;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* header = CMSG_FIRSTHDR(&msg);
        if (header == nullptr) {  // never: the buffer was sized for it
            errno = EINVAL;
            return -1;
        }
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    return ::sendmsg(socket, &msg, flags);
}

}  // namespace shmifd::control
