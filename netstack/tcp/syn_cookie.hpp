// SYN cookies (RFC 4987 3.6): when a listener's SYN queue is full, the SYN-ACK's ISN carries
// what the connection needs (an MSS class and a 64-second counter) under a keyed hash of
// the 4-tuple and the peer's ISN, and nothing is stored; the ACK that returns it rebuilds
// the connection. Window scaling and timestamps offered in such a SYN are not kept.
//
//   bits 31-27: counter mod 32   bits 26-24: MSS class   bits 23-0: hash
#pragma once

#include <cstdint>
#include <optional>

#include "netstack/time.hpp"
#include "tcp/connection.hpp"
#include "tcp/keyed_hash.hpp"

namespace netstack::tcp {

class SynCookies {
  public:
    explicit SynCookies(SipKey key) : key_(key) {}
    // The ISN of a stateless SYN-ACK; `mss` is rounded down to a class.
    std::uint32_t make(const FourTuple& tuple, std::uint32_t peer_isn, std::uint16_t mss,
                       Instant now) const;
    // The MSS a returned cookie (the ACK's ack - 1) encodes, if it is ours and at most two
    // counter periods (64-128 s) old.
    std::optional<std::uint16_t> check(const FourTuple& tuple, std::uint32_t peer_isn,
                                       std::uint32_t cookie, Instant now) const;

  private:
    std::uint32_t hash(const FourTuple& tuple, std::uint32_t peer_isn, std::uint32_t counter,
                       std::uint32_t mss_class) const;
    SipKey key_;
};

}  // namespace netstack::tcp
