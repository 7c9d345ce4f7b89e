// SYN cookies (RFC 4987 3.6): when a listener's SYN queue is full, the SYN-ACK's ISN carries
// what the connection needs (an MSS class and a 64-second counter) under a keyed hash of
// the 4-tuple and the peer's ISN, and nothing is stored; the ACK that returns it rebuilds
// the connection.
//
//   bits 31-27: counter mod 32   bits 26-24: MSS class   bits 23-0: hash
//
// When the SYN had timestamps, what the ISN has no room for rides in the low bits of our
// TSval (as Linux's cookie_init_timestamp), and the ACK's TSecr brings it back:
//
//   TSval bits 3-0: the peer's window scale (15: none)   bit 4: SACK-permitted
//
// Without timestamps the connection has no window scaling and no SACK.
#pragma once

#include <cstdint>
#include <optional>

#include "netstack/time.hpp"
#include "tcp/connection.hpp"
#include "tcp/keyed_hash.hpp"

namespace netstack::tcp {

// The options a cookie's timestamp carries.
struct CookieOptions {
    std::optional<std::uint8_t> window_scale{};  // the peer's shift, as its SYN said
    bool sack_permitted = false;
    bool operator==(const CookieOptions&) const = default;
};

// Our TSval for a cookie SYN-ACK at clock value `now_ts`: the options in its low bits, never
// ahead of the clock (at most 31 ms behind).
std::uint32_t cookie_timestamp(std::uint32_t now_ts, const CookieOptions& options);
// The options in an echoed TSval.
CookieOptions cookie_timestamp_options(std::uint32_t echo);

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
