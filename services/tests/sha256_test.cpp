#include "services/sha256.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/patterns.hpp"

namespace services {
namespace {

std::string sha(std::string_view text, std::size_t piece = 1000) {
    Sha256 h;
    for (std::size_t i = 0; i < text.size(); i += piece)
        h.update(std::as_bytes(std::span(text.substr(i, piece))));
    return h.hex_digest();
}

TEST(Sha256, Fips180Vectors) {
    EXPECT_EQ(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha(std::string(1'000'000, 'a'), 997),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecesOfAnySizeGiveOneDigest) {
    const std::string text(200, 'x');
    const auto whole = sha(text, 200);
    for (std::size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 128u})
        EXPECT_EQ(sha(text, piece), whole) << piece;
}

TEST(Sha256, OfTheBytesPattern) {
    // python3 -c "import hashlib;print(hashlib.sha256(bytes((i+i//251)%256 for i in
    // range(100000))).hexdigest())"
    std::vector<std::byte> data(100'000);
    fill_bytes_pattern(0, data);
    Sha256 h;
    h.update(data);
    EXPECT_EQ(h.hex_digest(), "ec6df1f95d4608743e1b9f3f65055aea953823d74cbd36ecb0f1dcc9035cfc35");
}

}  // namespace
}  // namespace services
