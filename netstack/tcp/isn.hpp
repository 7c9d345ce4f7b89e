// Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond
// clock (from `now`, never read here) and F a keyed hash, so ISNs for one 4-tuple increase
// with time (old duplicates fall behind) while other tuples' ISNs say nothing about them.
#pragma once

#include <cstdint>

#include "netstack/address.hpp"
#include "netstack/time.hpp"
#include "tcp/keyed_hash.hpp"

namespace netstack::tcp {

class IsnGenerator {
  public:
    explicit IsnGenerator(std::uint64_t secret);
    std::uint32_t isn(Endpoint local, Endpoint remote, Instant now) const;
    // A per-connection offset for our timestamps (RFC 7323 7.1: not a global clock).
    std::uint32_t timestamp_offset(Endpoint local, Endpoint remote) const;
    SipKey key() const { return key_; }

  private:
    SipKey key_;
};

}  // namespace netstack::tcp
