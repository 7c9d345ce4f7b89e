#include "cpu_claims.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace shmifd::engine {

CpuClaims::~CpuClaims() {
    for (auto& [cpu, fd] : held_)
        ::close(fd);
}

int CpuClaims::try_bind(int cpu, int k) const {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string name = name_ + "-" + std::to_string(cpu) + "." + std::to_string(k);
    const std::size_t len = std::min(name.size(), sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path + 1, name.data(), len);  // sun_path[0] == 0: abstract
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), addr_len) == 0) return fd;
    ::close(fd);
    return -1;
}

int CpuClaims::claim(std::span<const int> allowed) {
    bool fresh_left = false;  // a CPU this pool holds no claim on
    for (int cpu : allowed)
        if (!held_.contains(cpu)) fresh_left = true;
    for (int k = 0; k < kMaxPerCpu; ++k) {
        for (int cpu : allowed) {
            if (fresh_left && held_.contains(cpu)) continue;
            const int fd = try_bind(cpu, k);
            if (fd < 0) continue;
            held_.emplace(cpu, fd);
            return cpu;
        }
    }
    return -1;
}

void CpuClaims::release(int cpu) {
    const auto it = held_.find(cpu);
    if (it == held_.end()) return;
    ::close(it->second);
    held_.erase(it);
}

}  // namespace shmifd::engine
