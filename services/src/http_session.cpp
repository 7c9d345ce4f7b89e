// The http service: a minimal HTTP/1.1 origin server (RFC 9110, 9112). GET and HEAD of "/"
// (a short text page) and "/bytes/N" (N bytes of the documented pattern, patterns.hpp,
// generated as it is sent); 404 for other paths, 405 for other methods. Every response has
// a Content-Length; connections persist (HTTP/1.1 default, or 1.0 with keep-alive) unless
// the request says close or the request was malformed (400, 431 head over 8 KiB, 501
// chunked request body, 505 not HTTP/1.x), after which the connection closes. Requests are
// answered one at a time, in order; input is not read while a response is being sent.
#include <algorithm>
#include <cstring>
#include <string>

#include "services/http_request.hpp"
#include "services/patterns.hpp"
#include "sessions.hpp"

namespace services {

namespace {

constexpr std::string_view status_page =
    "shmifd http test service\n"
    "GET /bytes/N: N bytes, byte i = (i + i / 251) mod 256\n";

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 431:
            return "Request Header Fields Too Large";
        case 501:
            return "Not Implemented";
        case 505:
            return "HTTP Version Not Supported";
    }
    return "Error";
}

class HttpSession final : public Session {
  public:
    bool wants_input() const override { return !responding_ && !close_after_ && !eof_; }

    void receive(std::span<const std::byte> data) override {
        const auto skipped = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, data.size()));
        skip_ -= skipped;
        data = data.subspan(skipped);
        if (!data.empty()) handle(parser_.feed(data));
    }

    void end_of_input() override { eof_ = true; }

    std::size_t produce(std::span<std::byte> out) override {
        std::size_t n = 0;
        while (n < out.size() && responding_) {
            if (prefix_sent_ < prefix_.size()) {
                const auto k = std::min(out.size() - n, prefix_.size() - prefix_sent_);
                std::memcpy(out.data() + n, prefix_.data() + prefix_sent_, k);
                prefix_sent_ += k;
                n += k;
            } else if (body_left_ > 0) {
                const auto k =
                    static_cast<std::size_t>(std::min<std::uint64_t>(out.size() - n, body_left_));
                fill_bytes_pattern(body_offset_, out.subspan(n, k));
                body_offset_ += k;
                body_left_ -= k;
                n += k;
            } else {
                responding_ = false;
                // A pipelined request already buffered is answered next.
                if (!close_after_) handle(parser_.feed({}));
            }
        }
        return n;
    }

    bool finished() const override { return !responding_ && (close_after_ || eof_); }
    std::uint64_t protocol_errors() const override { return errors_; }
    std::uint64_t requests() const override { return requests_; }

  private:
    HttpRequestParser parser_;
    std::string prefix_;  // status line, header fields, and a text body if any
    std::size_t prefix_sent_ = 0;
    std::uint64_t body_left_ = 0;  // pattern bytes still to send
    std::uint64_t body_offset_ = 0;
    std::uint64_t skip_ = 0;  // request body bytes still to drop
    bool responding_ = false, close_after_ = false, eof_ = false;
    std::uint64_t requests_ = 0, errors_ = 0;

    void handle(HttpRequestParser::Status status) {
        if (status == HttpRequestParser::Status::complete) {
            auto request = parser_.take_request();
            skip_ = request.content_length - parser_.skip(request.content_length);
            respond(request);
        } else if (status == HttpRequestParser::Status::error) {
            HttpRequest request;
            request.keep_alive = false;
            start(request, parser_.error_status(), "bad request\n", 0);
        }
    }

    void respond(const HttpRequest& request) {
        const auto path = target_path(request.target);
        if (request.method != "GET" && request.method != "HEAD")
            return start(request, 405, "method not allowed\n", 0);
        if (path == "/") return start(request, 200, status_page, 0);
        if (auto n = bytes_target(request.target)) return start(request, 200, {}, *n);
        start(request, 404, "not found\n", 0);
    }

    // One response: a text body, or `pattern_bytes` of the pattern.
    void start(const HttpRequest& request, int status, std::string_view text,
               std::uint64_t pattern_bytes) {
        ++requests_;
        if (status >= 400) ++errors_;
        close_after_ = !request.keep_alive;
        const bool head = request.method == "HEAD";
        const std::uint64_t length = text.empty() ? pattern_bytes : text.size();
        prefix_ = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
                  "\r\nServer: shmifd\r\nContent-Type: " +
                  (text.empty() ? "application/octet-stream" : "text/plain") +
                  "\r\nContent-Length: " + std::to_string(length) + "\r\n";
        if (status == 405) prefix_ += "Allow: GET, HEAD\r\n";
        if (close_after_)
            prefix_ += "Connection: close\r\n";
        else if (request.minor_version == 0)
            prefix_ += "Connection: keep-alive\r\n";
        prefix_ += "\r\n";
        if (!head) prefix_ += text;
        prefix_sent_ = 0;
        body_left_ = head || !text.empty() ? 0 : pattern_bytes;
        body_offset_ = 0;
        responding_ = true;
    }
};

}  // namespace

std::unique_ptr<Session> make_http_session() {
    return std::make_unique<HttpSession>();
}

}  // namespace services
