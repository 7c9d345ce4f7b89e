// Socket addresses for tests that call the socket API: inet("10.0.0.2", 80),
// inet6("::ffff:10.0.0.2", 80).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace shmif::test {

inline sockaddr_in inet(const char* addr, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, addr, &a.sin_addr);
    return a;
}

inline sockaddr_in6 inet6(const char* addr, std::uint16_t port) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    ::inet_pton(AF_INET6, addr, &a.sin6_addr);
    return a;
}

inline const sockaddr* as_sockaddr(const sockaddr_in& a) {
    return reinterpret_cast<const sockaddr*>(&a);
}

inline const sockaddr* as_sockaddr(const sockaddr_in6& a) {
    return reinterpret_cast<const sockaddr*>(&a);
}

// An address as text ("10.0.0.2", "::ffff:10.0.0.2"), for comparing what a call gave.
inline std::string text_of(const sockaddr_in6& a) {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    return text;
}

}  // namespace shmif::test
