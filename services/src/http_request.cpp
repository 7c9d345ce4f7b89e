#include "services/http_request.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace services {

namespace {

bool is_token_char(char c) {
    // RFC 9110 5.6.2 tchar.
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Does a comma-separated header value hold `token` (case-insensitive)?
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

HttpRequestParser::Status HttpRequestParser::fail(int status) {
    error_status_ = status;
    return Status::error;
}

HttpRequestParser::Status HttpRequestParser::feed(std::span<const std::byte> data) {
    if (error_status_ != 0) return Status::error;
    if (complete_) return Status::complete;
    buffer_.append(reinterpret_cast<const char*>(data.data()), data.size());
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    while (buffer_.starts_with("\r\n") || buffer_.starts_with("\n"))
        buffer_.erase(0, buffer_[0] == '\r' ? 2 : 1);
    // The head ends at the first empty line (CRLF CRLF, or bare LFs, which 2.2 allows).
    std::size_t end = std::string::npos, terminator = 0;
    for (std::size_t i = 0; i + 1 < buffer_.size() && i < max_request_head + 4; ++i) {
        if (buffer_[i] != '\n') continue;
        if (buffer_[i + 1] == '\n') {
            end = i + 1;
            terminator = 1;
            break;
        }
        if (buffer_[i + 1] == '\r' && i + 2 < buffer_.size() && buffer_[i + 2] == '\n') {
            end = i + 1;
            terminator = 2;
            break;
        }
    }
    if (end == std::string::npos) {
        if (buffer_.size() > max_request_head) return fail(431);
        return Status::need_more;
    }
    if (end > max_request_head) return fail(431);
    return parse_head(end, terminator);
}

HttpRequestParser::Status HttpRequestParser::parse_head(std::size_t head_length,
                                                        std::size_t terminator_length) {
    std::string_view head(buffer_.data(), head_length);
    HttpRequest request;
    bool saw_connection_close = false, saw_keep_alive = false, saw_length = false;
    bool first = true;
    while (!head.empty()) {
        auto eol = head.find('\n');
        std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (first) {
            first = false;
            // method SP request-target SP HTTP-version
            const auto sp1 = line.find(' ');
            const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
            if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
                return fail(400);
            const auto method = line.substr(0, sp1);
            const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
            const auto version = line.substr(sp2 + 1);
            if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char) ||
                target.empty())
                return fail(400);
            if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
                version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
                return fail(400);
            if (version[5] != '1') return fail(505);
            request.method = method;
            request.target = target;
            request.minor_version = version[7] - '0';
            continue;
        }
        // field-name ":" OWS field-value OWS; no whitespace before the colon (5.1), no
        // obsolete line folding (5.2).
        const auto colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return fail(400);
        const auto name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail(400);
        const auto value = trim(line.substr(colon + 1));
        if (iequals(name, "connection")) {
            saw_connection_close |= has_token(value, "close");
            saw_keep_alive |= has_token(value, "keep-alive");
        } else if (iequals(name, "content-length")) {
            const auto length = parse_decimal(value);
            // Two different lengths make the framing ambiguous (RFC 9112 6.3).
            if (!length || (saw_length && *length != request.content_length)) return fail(400);
            request.content_length = *length;
            saw_length = true;
        } else if (iequals(name, "transfer-encoding")) {
            return fail(501);
        }
    }
    if (first) return fail(400);
    request.keep_alive = request.minor_version >= 1 ? !saw_connection_close
                                                    : saw_keep_alive && !saw_connection_close;
    request_ = std::move(request);
    buffer_.erase(0, head_length + terminator_length);
    complete_ = true;
    return Status::complete;
}

std::size_t HttpRequestParser::skip(std::uint64_t count) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count, buffer_.size()));
    buffer_.erase(0, n);
    return n;
}

HttpRequest HttpRequestParser::take_request() {
    complete_ = false;
    return std::move(request_);
}

std::string_view target_path(std::string_view target) {
    return target.substr(0, target.find('?'));
}

std::optional<std::uint64_t> bytes_target(std::string_view target) {
    const auto path = target_path(target);
    constexpr std::string_view prefix = "/bytes/";
    if (!path.starts_with(prefix)) return std::nullopt;
    return parse_decimal(path.substr(prefix.size()));
}

}  // namespace services
