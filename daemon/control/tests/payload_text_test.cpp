// base64, hex and the UTF-8 check that carry udp payloads through JSON exactly.
#include <gtest/gtest.h>

#include <string>

#include "shmifd/control/payload_text.hpp"

namespace shmifd::control {
namespace {

std::string all_bytes() {
    std::string bytes;
    for (int b = 0; b < 256; ++b)
        bytes += static_cast<char>(b);
    return bytes;
}

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [bytes, text] : vectors) {
        EXPECT_EQ(base64_encode(bytes), text);
        EXPECT_EQ(base64_decode(text), bytes) << text;
    }
    EXPECT_EQ(base64_encode("\xff\xfe"), "//4=");
}

TEST(Base64, EveryByteValueAndLengthRoundTrips) {
    const std::string bytes = all_bytes();
    for (std::size_t length = 0; length <= bytes.size(); ++length) {
        const std::string part = bytes.substr(bytes.size() - length);
        EXPECT_EQ(base64_decode(base64_encode(part)), part) << length;
    }
}

TEST(Base64, RefusesAnythingButCanonicalText) {
    for (const char* text : {"Zg=", "Zg", "Z===", "====", "Zg==Zg==", "Zm9v\n", " Zm9v", "Zm-_",
                             "Zh==", "Zm9=", "Zm=v", "=Zm9", "Zm\x80v"}) {
        EXPECT_EQ(base64_decode(text), std::nullopt) << text;
    }
}

TEST(Hex, RoundTripsAndRefusesBadDigits) {
    const std::string bytes = all_bytes();
    EXPECT_EQ(hex_encode(std::string("\xff\xfe\x00\x41", 4)), "fffe0041");
    EXPECT_EQ(hex_decode(hex_encode(bytes)), bytes);
    EXPECT_EQ(hex_decode("FFfe"), std::string("\xff\xfe"));
    for (const char* text : {"f", "fg", "0x00", "ff fe", "-1"})
        EXPECT_EQ(hex_decode(text), std::nullopt) << text;
}

TEST(Utf8, AcceptsWellFormedAndRefusesTheRest) {
    for (const char* text : {"", "hello", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                             "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"})
        EXPECT_TRUE(is_valid_utf8(text)) << text;
    for (const char* text : {"\xff\xfe", "\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                             "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "a\xe2\x82"})
        EXPECT_FALSE(is_valid_utf8(text)) << text;
}

}  // namespace
}  // namespace shmifd::control
