#include "services/http_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace services {
namespace {

using Status = HttpRequestParser::Status;

Status feed(HttpRequestParser& p, std::string_view text) {
    return p.feed(std::as_bytes(std::span(text)));
}

TEST(HttpRequest, ParsesAHeadFedByteByByte) {
    HttpRequestParser p;
    const std::string text = "GET /bytes/10 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
        ASSERT_EQ(feed(p, text.substr(i, 1)), Status::need_more) << i;
    ASSERT_EQ(feed(p, text.substr(text.size() - 1)), Status::complete);
    const auto r = p.take_request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/bytes/10");
    EXPECT_EQ(r.minor_version, 1);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(p.buffered(), 0u);
}

TEST(HttpRequest, ConnectionRules) {
    HttpRequestParser a;
    ASSERT_EQ(feed(a, "GET / HTTP/1.1\r\nConnection: Keep-Alive, close\r\n\r\n"), Status::complete);
    EXPECT_FALSE(a.take_request().keep_alive);
    HttpRequestParser b;
    ASSERT_EQ(feed(b, "GET / HTTP/1.0\r\n\r\n"), Status::complete);
    EXPECT_FALSE(b.take_request().keep_alive);
    HttpRequestParser c;
    ASSERT_EQ(feed(c, "GET / HTTP/1.0\nconnection: keep-alive\n\n"), Status::complete);
    EXPECT_TRUE(c.take_request().keep_alive);
}

TEST(HttpRequest, PipelinedRequestsComeOneByOne) {
    HttpRequestParser p;
    ASSERT_EQ(feed(p, "GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\nGET /c"), Status::complete);
    EXPECT_EQ(p.take_request().target, "/a");
    ASSERT_EQ(p.feed({}), Status::complete);
    const auto b = p.take_request();
    EXPECT_EQ(b.method, "HEAD");
    EXPECT_EQ(b.target, "/b");
    EXPECT_EQ(p.feed({}), Status::need_more);
    EXPECT_EQ(feed(p, " HTTP/1.1\r\n\r\n"), Status::complete);
    EXPECT_EQ(p.take_request().target, "/c");
}

TEST(HttpRequest, ContentLengthIsReadAndItsBodySkipped) {
    HttpRequestParser p;
    ASSERT_EQ(feed(p, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET"), Status::complete);
    const auto r = p.take_request();
    EXPECT_EQ(r.content_length, 5u);
    EXPECT_EQ(p.skip(r.content_length), 5u);
    EXPECT_EQ(p.buffered(), 3u);
}

TEST(HttpRequest, MalformedHeadsGetTheirStatus) {
    struct Case {
        std::string text;
        int status;
    };
    for (const auto& c : std::vector<Case>{
             {"GET /\r\n\r\n", 400},
             {"GET / HTTP/1.1 extra\r\n\r\n", 400},
             {"G(T / HTTP/1.1\r\n\r\n", 400},
             {"GET / HTTP/2.0\r\n\r\n", 505},
             {"GET / HTTX/1.1\r\n\r\n", 400},
             {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},
             {"GET / HTTP/1.1\r\nBad name: x\r\n\r\n", 400},
             {"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
             {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
             {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
         }) {
        HttpRequestParser p;
        EXPECT_EQ(feed(p, c.text), Status::error) << c.text;
        EXPECT_EQ(p.error_status(), c.status) << c.text;
    }
}

TEST(HttpRequest, HeadsOver8KiBAre431WithoutBufferingMore) {
    HttpRequestParser p;
    ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\n"), Status::need_more);
    const std::string field = "X-Filler: " + std::string(1000, 'a') + "\r\n";
    Status s = Status::need_more;
    for (int i = 0; i < 20 && s == Status::need_more; ++i)
        s = feed(p, field);
    EXPECT_EQ(s, Status::error);
    EXPECT_EQ(p.error_status(), 431);
    EXPECT_LE(p.buffered(), max_request_head + field.size());
}

TEST(HttpRequest, BytesTarget) {
    EXPECT_EQ(bytes_target("/bytes/0"), 0u);
    EXPECT_EQ(bytes_target("/bytes/10737418240?x=1"), 10737418240u);
    EXPECT_FALSE(bytes_target("/bytes/"));
    EXPECT_FALSE(bytes_target("/bytes/-1"));
    EXPECT_FALSE(bytes_target("/bytes/1x"));
    EXPECT_FALSE(bytes_target("/bytes/99999999999999999999"));
    EXPECT_FALSE(bytes_target("/other/1"));
}

}  // namespace
}  // namespace services
