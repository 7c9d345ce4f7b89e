// Spreads the pinned workers of every pool on the machine that uses the same name over the
// CPUs, so that two daemons of one worker each do not both pin theirs to the first CPU
// (measured: TCP_RR under shmifrun between two such daemons, 9.9-11.0k/s with both workers on
// CPU 0, 11.9-13.1k/s on CPUs 0 and 1).
//
// A claim is an abstract Unix socket bound to "<name>-<cpu>.<k>": the bind succeeds for one
// holder only, and the kernel releases it however the process ends, so a crashed daemon
// leaves nothing behind (and no file anywhere). A worker takes the lowest k free on any CPU
// its pool does not use yet, so CPUs fill evenly. Abstract names belong to a network
// namespace: daemons in different namespaces do not see each other's claims.
#pragma once

#include <map>
#include <span>
#include <string>

namespace shmifd::engine {

class CpuClaims {
  public:
    explicit CpuClaims(std::string name) : name_(std::move(name)) {}
    ~CpuClaims();
    CpuClaims(const CpuClaims&) = delete;
    CpuClaims& operator=(const CpuClaims&) = delete;

    // A CPU of `allowed` for one more worker: one with the fewest claims, preferring those
    // this pool holds none of; -1 when every one has kMaxPerCpu claims or binding fails.
    int claim(std::span<const int> allowed);
    // Gives back one of this pool's claims on `cpu`.
    void release(int cpu);

    static constexpr int kMaxPerCpu = 64;

  private:
    int try_bind(int cpu, int k) const;  // the socket holding the claim, or -1

    std::string name_;
    std::multimap<int, int> held_;  // cpu -> socket
};

}  // namespace shmifd::engine
