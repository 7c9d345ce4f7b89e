// Two stacks on a MemoryHub whose links lose, duplicate and reorder frames (FaultInjector),
// moving bulk data both ways at once: shared by tcp_transfer_test.cpp and tcp_sack_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>

#include "netstack/memory_device.hpp"
#include "netstack/middleware.hpp"
#include "netstack/stack.hpp"

namespace netstack::transfertest {

using namespace std::chrono_literals;

std::uint64_t fnv1a(std::uint64_t h, std::span<const std::byte> data);
inline constexpr std::uint64_t fnv_basis = 0xcbf29ce484222325ull;

// The byte at stream position i of the side `tag`.
std::byte stream_byte(std::uint64_t i, std::uint8_t tag);

struct Side {
    Side(std::uint64_t seed, FaultConfig faults, StackConfig config)
        : stack(config), faulty(memory, faults) {
        faults.seed = seed;
    }
    MemoryDevice memory;
    Stack stack;
    FaultInjector faulty;
    InterfaceId iface = 0;
    SocketId socket = 0;
    std::uint64_t sent = 0, received = 0;
    std::uint64_t sent_hash = fnv_basis, received_hash = fnv_basis;
    std::uint8_t tag = 0;
    // Every urgent_every-th byte is sent alone with tcp_send_urgent; the receiver takes
    // each out-of-band byte at its mark, back into the stream it hashes.
    std::uint64_t urgent_every = 0;
    std::uint64_t urgent_sent = 0, urgent_taken = 0;

    void pump(std::uint64_t total, Instant now);

  private:
    bool send_some(std::span<std::byte> chunk, std::uint64_t total, Instant now);
    void take_urgent();
};

struct TransferResult {
    Duration simulated{};
    double wall_seconds = 0;
    std::uint64_t bytes_retransmitted = 0;            // both ends' sockets together
    std::uint64_t retransmits = 0;                    // segments, both stacks
    std::uint64_t timeouts = 0;                       // both stacks
    std::uint64_t urgent_sent = 0, urgent_taken = 0;  // both ways together
    TcpStats stats_a{}, stats_b{};
};

// `total` bytes each way at once; both stacks get `config` (with their own seeds).
TransferResult transfer_both_ways(double loss, double reorder, double duplicate,
                                  std::uint64_t total, StackConfig config = {},
                                  std::uint64_t urgent_every = 0);

}  // namespace netstack::transfertest
