#include "wire/checksum.hpp"

#include <bit>
#include <cstring>
#include <span>

namespace netstack::wire {

namespace {

// One's complement addition of 64-bit words: the carry out of the top goes back in at the
// bottom (RFC 1071 2(A): the sum can be taken on any word size and folded after).
inline std::uint64_t add_carry(std::uint64_t sum, std::uint64_t word) {
    sum += word;
    return sum + (sum < word ? 1 : 0);
}

inline std::uint64_t load64(const std::byte* p) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
}

inline std::uint64_t load32(const std::byte* p) {
    std::uint32_t word;
    std::memcpy(&word, p, sizeof word);
    return word;
}

// A sum of native 64-bit words folded to 16 bits and swapped into network order.
inline std::uint16_t fold_native(std::uint64_t acc) {
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    auto folded = static_cast<std::uint16_t>(acc);
    if constexpr (std::endian::native == std::endian::little)
        folded = static_cast<std::uint16_t>((folded >> 8) | (folded << 8));
    return folded;
}

}  // namespace

// RFC 1071 2(B): the sum is the same whatever the byte order, up to a swap of the result:
// add native words, fold to 16 bits, and swap them into network order on a little-endian
// host. 32-bit words go into four 64-bit sums, none of which can overflow before 64 GiB of
// input: no carry to fold back per word, and four sums the CPU adds side by side (twice the
// speed of one 64-bit sum with end-around carry, whose every step waits on the last).
Checksum& Checksum::add(Bytes bytes) {
    const std::byte* p = bytes.data();
    std::size_t n = bytes.size();
    std::uint64_t a = 0, b = 0, c = 0, d = 0;
    for (; n >= 16; p += 16, n -= 16) {
        a += load32(p);
        b += load32(p + 4);
        c += load32(p + 8);
        d += load32(p + 12);
    }
    for (; n >= 4; p += 4, n -= 4)
        a += load32(p);
    if (n > 0) {
        // The tail keeps its byte positions; an odd last byte is padded with zero (RFC 1071
        // 4.1), which is what the zeroed rest of the word does.
        std::byte tail[4] = {};
        std::memcpy(tail, p, n);
        a += load32(tail);
    }
    sum_ += fold_native(add_carry(add_carry(a, b), add_carry(c, d)));
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

Checksum pseudo_header(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t next_header,
                       std::uint32_t length) {
    // Both addresses as four native words and one fold: on every ICMPv6, UDP and TCP
    // packet, where two add() calls (two folds and their tails) cost more.
    const std::byte* s = std::as_bytes(std::span(src.bytes)).data();
    const std::byte* d = std::as_bytes(std::span(dst.bytes)).data();
    std::uint64_t acc = load64(s);
    acc = add_carry(acc, load64(s + 8));
    acc = add_carry(acc, load64(d));
    acc = add_carry(acc, load64(d + 8));
    Checksum c;
    c.add16(fold_native(acc)).add32(length).add16(next_header);
    return c;
}

Checksum pseudo_header(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                       std::uint32_t length) {
    if (src.is_v4() && dst.is_v4())
        return pseudo_header(src.v4(), dst.v4(), protocol, static_cast<std::uint16_t>(length));
    return pseudo_header(src.v6(), dst.v6(), protocol, length);
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
