// The HTTP/1.x request head parser of the http service (RFC 9112): request line and header
// fields, fed in pieces as they arrive, bounded in size. Request bodies are framed by
// Content-Length only (a GET or HEAD carries none; chunked requests are refused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace services {

inline constexpr std::size_t max_request_head = 8 * 1024;

struct HttpRequest {
    std::string method;
    std::string target;      // as sent, e.g. "/bytes/100?x=1"
    int minor_version = 1;   // HTTP/1.minor
    bool keep_alive = true;  // HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive
    std::uint64_t content_length = 0;
};

class HttpRequestParser {
  public:
    enum class Status : std::uint8_t {
        need_more,  // the head is not complete yet
        complete,   // request() is ready; take_leftover() holds the bytes after the head
        error,      // error_status() says which response to send; the connection then closes
    };

    // Appends bytes and parses as far as possible. Stops at the first complete head: the
    // bytes after it are kept for the next request (pipelining).
    Status feed(std::span<const std::byte> data);
    // After `complete`: the request, and ready for the next one (the kept bytes are parsed
    // by the next feed(), which may be given no new bytes).
    HttpRequest take_request();
    // Drops up to `count` kept bytes (a request body, which this server ignores); returns
    // how many were dropped.
    std::size_t skip(std::uint64_t count);
    int error_status() const { return error_status_; }  // 400, 431, 501 or 505
    std::size_t buffered() const { return buffer_.size(); }

  private:
    std::string buffer_;
    HttpRequest request_;
    int error_status_ = 0;
    bool complete_ = false;

    Status fail(int status);
    Status parse_head(std::size_t head_length, std::size_t terminator_length);
};

// "/bytes/N" (query ignored) -> N; nullopt for other targets or N out of range.
std::optional<std::uint64_t> bytes_target(std::string_view target);
// The path of a target without its query.
std::string_view target_path(std::string_view target);

}  // namespace services
