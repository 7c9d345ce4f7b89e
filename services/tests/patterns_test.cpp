#include "services/patterns.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace services {
namespace {

TEST(BytesPattern, MatchesTheDocumentedFormula) {
    for (std::uint64_t i : {0ull, 1ull, 250ull, 251ull, 255ull, 256ull, 64255ull, 64256ull,
                            1ull << 32, (1ull << 40) + 12345})
        EXPECT_EQ(bytes_pattern_at(i), static_cast<std::byte>((i + i / 251) % 256)) << i;
}

TEST(BytesPattern, ChunksAtAnyOffsetAgreeWithTheFormula) {
    for (std::uint64_t offset : {0ull, 7ull, 250ull, 64250ull, 10'000'000'019ull}) {
        std::vector<std::byte> out(70'000);
        fill_bytes_pattern(offset, out);
        for (std::size_t k = 0; k < out.size(); ++k)
            ASSERT_EQ(out[k], bytes_pattern_at(offset + k)) << offset << "+" << k;
    }
}

TEST(BytesPattern, IsNotPeriodicInAPowerOfTwo) {
    // A 64 KiB stretch duplicated or skipped must change the data.
    EXPECT_NE(bytes_pattern_at(1000), bytes_pattern_at(1000 + 65536));
    EXPECT_EQ(bytes_pattern_at(1000), bytes_pattern_at(1000 + 64256));
}

TEST(Chargen, LinesAreRfc864) {
    std::vector<std::byte> out(3 * chargen_line_length);
    fill_chargen(0, out);
    const std::string text(reinterpret_cast<const char*>(out.data()), out.size());
    EXPECT_EQ(text.substr(0, 74),
              " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n");
    EXPECT_EQ(text.substr(74, 74),
              "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n");
    // Line 95 starts over.
    EXPECT_EQ(chargen_at(95 * 74), std::byte{' '});
    EXPECT_EQ(chargen_at(94 * 74), std::byte{'~'});
}

TEST(Chargen, ChunksAtAnyOffsetAgree) {
    std::vector<std::byte> out(20'000);
    fill_chargen(123'457, out);
    for (std::size_t k = 0; k < out.size(); ++k)
        ASSERT_EQ(out[k], chargen_at(123'457 + k)) << k;
}

}  // namespace
}  // namespace services
