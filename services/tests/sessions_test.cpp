#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/patterns.hpp"
#include "services/session.hpp"
#include "services/sha256.hpp"

namespace services {
namespace {

void send(Session& s, std::string_view text) {
    s.receive(std::as_bytes(std::span(text)));
}

// Everything the session produces now, in chunks of `chunk` bytes (bounded).
std::string drain(Session& s, std::size_t chunk = 1000, std::size_t limit = 1 << 24) {
    std::string out;
    std::vector<std::byte> buffer(chunk);
    while (out.size() < limit) {
        const auto n = s.produce(buffer);
        if (n == 0) break;
        out.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    return out;
}

TEST(EchoSession, EchoesAndStopsTakingInputWhenBackedUp) {
    auto s = make_session(ServiceKind::echo);
    send(*s, "hello");
    EXPECT_EQ(drain(*s), "hello");
    EXPECT_TRUE(s->wants_input());
    const std::string block(16 * 1024, 'x');
    int taken = 0;
    while (s->wants_input() && taken < 100) {
        send(*s, block);
        ++taken;
    }
    EXPECT_EQ(taken, 4);  // 64 KiB pending: the host stops reading
    EXPECT_EQ(drain(*s).size(), 4 * block.size());
    EXPECT_TRUE(s->wants_input());
    EXPECT_FALSE(s->finished());
    send(*s, "tail");
    s->end_of_input();
    EXPECT_FALSE(s->finished());  // "tail" still to send
    EXPECT_EQ(drain(*s), "tail");
    EXPECT_TRUE(s->finished());
}

TEST(DiscardSession, SendsNothingAndEndsWithThePeer) {
    auto s = make_session(ServiceKind::discard);
    send(*s, "anything");
    EXPECT_EQ(drain(*s), "");
    EXPECT_FALSE(s->finished());
    s->end_of_input();
    EXPECT_TRUE(s->finished());
}

TEST(ChargenSession, StreamsThePatternUntilThePeerCloses) {
    auto s = make_session(ServiceKind::chargen);
    const auto out = drain(*s, 777, 20'000);
    ASSERT_GE(out.size(), 20'000u);
    for (std::size_t i = 0; i < out.size(); ++i)
        ASSERT_EQ(static_cast<std::byte>(out[i]), chargen_at(i)) << i;
    s->end_of_input();
    EXPECT_TRUE(s->finished());
    EXPECT_EQ(drain(*s), "");
}

// The body after the head of the one response in `response`.
std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? "" : response.substr(end + 4);
}

TEST(HttpSession, BytesBodyIsThePatternWithItsLength) {
    auto s = make_session(ServiceKind::http);
    send(*s, "GET /bytes/100000 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(s->wants_input());  // answering
    const auto response = drain(*s, 4096);
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK\r\n")) << response.substr(0, 200);
    EXPECT_NE(response.find("\r\nContent-Length: 100000\r\n"), std::string::npos);
    EXPECT_EQ(response.find("Connection: close"), std::string::npos);
    const auto body = body_of(response);
    Sha256 h;
    h.update(std::as_bytes(std::span(body)));
    EXPECT_EQ(h.hex_digest(), "ec6df1f95d4608743e1b9f3f65055aea953823d74cbd36ecb0f1dcc9035cfc35");
    EXPECT_TRUE(s->wants_input());  // keep-alive: ready for the next request
    EXPECT_FALSE(s->finished());
    s->end_of_input();
    EXPECT_TRUE(s->finished());
}

TEST(HttpSession, HugeBodiesAreGeneratedNotStored) {
    auto s = make_session(ServiceKind::http);
    send(*s, "GET /bytes/10737418240 HTTP/1.1\r\n\r\n");
    const auto start = drain(*s, 65536, 1 << 20);
    EXPECT_NE(start.find("Content-Length: 10737418240\r\n"), std::string::npos);
    EXPECT_FALSE(s->finished());
}

TEST(HttpSession, HeadStatusPageNotFoundAndMethodNotAllowed) {
    auto s = make_session(ServiceKind::http);
    send(*s, "HEAD /bytes/5 HTTP/1.1\r\n\r\n");
    const auto head = drain(*s);
    EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
    EXPECT_EQ(body_of(head), "");
    send(*s, "GET / HTTP/1.1\r\n\r\n");
    const auto page = drain(*s);
    EXPECT_TRUE(page.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_NE(body_of(page).find("/bytes/N"), std::string::npos);
    send(*s, "GET /nothing HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(drain(*s).starts_with("HTTP/1.1 404 Not Found\r\n"));
    send(*s, "DELETE / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
    const auto refused = drain(*s);
    EXPECT_TRUE(refused.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
    EXPECT_NE(refused.find("Allow: GET, HEAD\r\n"), std::string::npos);
    EXPECT_FALSE(s->finished());  // the body was skipped: the connection goes on
    send(*s, "GET /bytes/1 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(body_of(drain(*s)), std::string(1, '\0'));
    EXPECT_EQ(s->requests(), 5u);
    EXPECT_EQ(s->protocol_errors(), 2u);
}

TEST(HttpSession, PipelinedRequestsAreAnsweredInOrder) {
    auto s = make_session(ServiceKind::http);
    send(*s, "GET /bytes/3 HTTP/1.1\r\n\r\nGET /bytes/2 HTTP/1.1\r\nConnection: close\r\n\r\n");
    s->end_of_input();  // a half-close after the requests: both still answered
    const auto out = drain(*s, 7);
    const auto second = out.find("HTTP/1.1", 1);
    ASSERT_NE(second, std::string::npos) << out;
    EXPECT_NE(out.find("Content-Length: 3"), std::string::npos);
    EXPECT_NE(out.find("Connection: close", second), std::string::npos);
    EXPECT_TRUE(s->finished());
}

TEST(HttpSession, MalformedRequestGetsAnErrorAndTheConnectionCloses) {
    auto s = make_session(ServiceKind::http);
    send(*s, "GET / HTTP/3.0\r\n\r\n");
    const auto out = drain(*s);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 505 "));
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(s->finished());
    EXPECT_FALSE(s->wants_input());
    EXPECT_EQ(s->protocol_errors(), 1u);
}

TEST(HttpSession, Http10ClosesUnlessKeepAlive) {
    auto a = make_session(ServiceKind::http);
    send(*a, "GET / HTTP/1.0\r\n\r\n");
    EXPECT_NE(drain(*a).find("Connection: close"), std::string::npos);
    EXPECT_TRUE(a->finished());
    auto b = make_session(ServiceKind::http);
    send(*b, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_NE(drain(*b).find("Connection: keep-alive"), std::string::npos);
    EXPECT_FALSE(b->finished());
}

}  // namespace
}  // namespace services
