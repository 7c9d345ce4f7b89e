#include "wire/checksum.hpp"

namespace netstack::wire {

Checksum& Checksum::add(Bytes bytes) {
    std::size_t i = 0;
    // Whole 32-bit words first: fewer iterations, and the 64-bit accumulator cannot overflow
    // for any message below 2^32 words.
    for (; i + 4 <= bytes.size(); i += 4)
        sum_ += load16(bytes, i) + std::uint64_t(load16(bytes, i + 2));
    for (; i + 2 <= bytes.size(); i += 2)
        sum_ += load16(bytes, i);
    if (i < bytes.size()) sum_ += std::uint64_t(load8(bytes, i)) << 8;  // RFC 1071 4.1: pad
    return *this;
}

std::uint16_t Checksum::sum() const {
    std::uint64_t s = sum_;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}

Checksum pseudo_header(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                       std::uint16_t length) {
    Checksum c;
    c.add32(src.value).add32(dst.value).add16(protocol).add16(length);
    return c;
}

std::uint16_t checksum_update(std::uint16_t checksum, std::uint16_t old_word,
                              std::uint16_t new_word) {
    std::uint32_t sum = std::uint32_t(static_cast<std::uint16_t>(~checksum)) +
                        static_cast<std::uint16_t>(~old_word) + new_word;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

}  // namespace netstack::wire
