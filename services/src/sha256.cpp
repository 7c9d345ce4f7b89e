#include "services/sha256.hpp"

#include <bit>
#include <cstring>

namespace services {

namespace {

constexpr std::array<std::uint32_t, 64> round_constants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

std::uint32_t load_be32(const std::byte* p) {
    return std::uint32_t(std::to_integer<std::uint8_t>(p[0])) << 24 |
           std::uint32_t(std::to_integer<std::uint8_t>(p[1])) << 16 |
           std::uint32_t(std::to_integer<std::uint8_t>(p[2])) << 8 |
           std::uint32_t(std::to_integer<std::uint8_t>(p[3]));
}

}  // namespace

Sha256::Sha256()
    : state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::compress(const std::byte* block) {
    std::array<std::uint32_t, 64> w{};
    for (std::size_t t = 0; t < 16; ++t)
        w[t] = load_be32(block + 4 * t);
    for (std::size_t t = 16; t < 64; ++t) {
        const auto s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const auto s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    auto [a, b, c, d, e, f, g, h] = state_;
    for (std::size_t t = 0; t < 64; ++t) {
        const auto big_s1 = std::rotr(e, 6) ^ std::rotr(e, 11) ^ std::rotr(e, 25);
        const auto choose = (e & f) ^ (~e & g);
        const auto t1 = h + big_s1 + choose + round_constants[t] + w[t];
        const auto big_s0 = std::rotr(a, 2) ^ std::rotr(a, 13) ^ std::rotr(a, 22);
        const auto majority = (a & b) ^ (a & c) ^ (b & c);
        const auto t2 = big_s0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void Sha256::update(std::span<const std::byte> data) {
    total_bytes_ += data.size();
    if (block_used_ != 0) {
        const auto take = std::min(data.size(), block_.size() - block_used_);
        std::memcpy(block_.data() + block_used_, data.data(), take);
        block_used_ += take;
        data = data.subspan(take);
        if (block_used_ < block_.size()) return;
        compress(block_.data());
        block_used_ = 0;
    }
    while (data.size() >= block_.size()) {
        compress(data.data());
        data = data.subspan(block_.size());
    }
    std::memcpy(block_.data(), data.data(), data.size());
    block_used_ = data.size();
}

std::string Sha256::hex_digest() {
    const std::uint64_t bits = total_bytes_ * 8;
    std::array<std::byte, 72> tail{};
    tail[0] = std::byte{0x80};
    // Pad to 56 mod 64, then the length in bits, big-endian.
    const std::size_t pad = (block_used_ < 56 ? 56 : 120) - block_used_;
    for (std::size_t i = 0; i < 8; ++i)
        tail[pad + i] = static_cast<std::byte>((bits >> (56 - 8 * i)) & 0xff);
    const auto saved = total_bytes_;
    update(std::span(tail).first(pad + 8));
    total_bytes_ = saved;
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto word : state_)
        for (int shift = 28; shift >= 0; shift -= 4)
            out.push_back(digits[(word >> shift) & 0xf]);
    return out;
}

}  // namespace services
