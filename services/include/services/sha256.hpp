// SHA-256 (FIPS 180-4), incremental: the tools print it over the data they moved, so a test
// compares against sha256sum or Python's hashlib without holding the data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace services {

class Sha256 {
  public:
    Sha256();
    void update(std::span<const std::byte> data);
    // The digest as 64 lowercase hex digits; the object must not be updated afterwards.
    std::string hex_digest();

  private:
    std::array<std::uint32_t, 8> state_;
    std::array<std::byte, 64> block_{};
    std::size_t block_used_ = 0;
    std::uint64_t total_bytes_ = 0;

    void compress(const std::byte* block);
};

}  // namespace services
