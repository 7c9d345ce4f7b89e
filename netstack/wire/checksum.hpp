// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
// Accumulates in 64 bits and folds at the end, so pieces (a pseudo-header, a header, a
// payload) can be added in any order as long as each piece starts at an even offset of the
// summed message.
#pragma once

#include <cstdint>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"

namespace netstack::wire {

class Checksum {
  public:
    // Adds bytes as big-endian 16-bit words; an odd last byte is padded with zero (RFC 1071
    // 4.1). Only the last piece of a message may have odd length.
    Checksum& add(Bytes bytes);
    Checksum& add16(std::uint16_t word) {
        sum_ += word;
        return *this;
    }
    Checksum& add32(std::uint32_t word) {
        sum_ += (word >> 16) + (word & 0xffff);
        return *this;
    }
    // The folded one's complement sum (not yet complemented).
    std::uint16_t sum() const;
    // The value to store in a checksum field.
    std::uint16_t finish() const { return static_cast<std::uint16_t>(~sum()); }

  private:
    std::uint64_t sum_ = 0;
};

inline std::uint16_t checksum(Bytes bytes) {
    return Checksum{}.add(bytes).finish();
}

// True when bytes containing their own checksum field sum to 0xffff (RFC 1071 1).
inline bool checksum_ok(Bytes bytes) {
    return Checksum{}.add(bytes).sum() == 0xffff;
}

// The TCP/UDP pseudo-header (RFC 768, RFC 793 3.1): source, destination, zero+protocol,
// transport length.
Checksum pseudo_header(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                       std::uint16_t length);
// The IPv6 pseudo-header (RFC 8200 8.1): source, destination, the 32-bit upper-layer length,
// three zero bytes and the next header (the upper-layer protocol, not an extension header).
Checksum pseudo_header(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t next_header,
                       std::uint32_t length);
// Either family's pseudo-header: IPv4's when both addresses are IPv4 (the length must then fit
// in 16 bits), IPv6's otherwise. Lets UDP, TCP and ICMP code be written once for both.
Checksum pseudo_header(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                       std::uint32_t length);

// RFC 1624 eqn. 3: the checksum after one 16-bit word of the covered data changed from
// `old_word` to `new_word`, without re-summing: HC' = ~(~HC + ~m + m').
std::uint16_t checksum_update(std::uint16_t checksum, std::uint16_t old_word,
                              std::uint16_t new_word);

}  // namespace netstack::wire
