#include "dgram_header.hpp"

#include <netinet/in.h>

#include <cstring>

#include "inet_address.hpp"

namespace shmifsock {

std::expected<shmifsock_dgram, int> header_for_destination(const sockaddr* dest, socklen_t len) {
    shmifsock_dgram header{};
    if (dest == nullptr) return header;  // family 0: the connected peer
    const auto address = inet_address(dest, len, true);
    if (!address) return std::unexpected(address.error());
    header.family = AF_INET;
    header.port = address->sin_port;
    std::memcpy(header.addr, &address->sin_addr, sizeof address->sin_addr);
    return header;
}

void source_from_header(const shmifsock_dgram& header, sockaddr* src, socklen_t* len) {
    if (len == nullptr) return;
    if (header.family != AF_INET) {
        *len = 0;
        return;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = header.port;
    std::memcpy(&address.sin_addr, header.addr, sizeof address.sin_addr);
    copy_out(address, src, len);
}

}  // namespace shmifsock
