// tcp-fetch and tcp-send: one TCP connection from our stack, timed, with the SHA-256 of
// the data that crossed it. Driven by polling after every loop step (one socket, nothing to
// dispatch); the bytes are generated and hashed chunk by chunk, never held whole.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "exit_status.hpp"
#include "modes.hpp"
#include "services/patterns.hpp"
#include "services/sha256.hpp"
#include "stop_signals.hpp"

namespace shmifhost {
namespace {

using Clock = std::chrono::steady_clock;
using netstack::SocketError;

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t max_response_head = 8 * 1024;
// The /bytes/N pattern repeats every 251 * 256 bytes: send copies from one period (plus a
// chunk) made once instead of computing every byte.
constexpr std::size_t pattern_period = 251 * 256;

class Transfer {
  public:
    Transfer(Host& host, const TcpClientOptions& o) : host_(host), stack_(host.stack()), o_(o) {}

    int run(bool sending) {
        sending_ = sending;
        auto s = stack_.tcp_open();
        if (!s) return fail("socket", s.error());
        socket_ = *s;
        start_ = Clock::now();
        if (auto c = stack_.tcp_connect(socket_, o_.to, start_); !c)
            return fail("connect", c.error());
        if (o_.http && !sending_) {
            request_ = "GET /bytes/" + std::to_string(o_.bytes) +
                       " HTTP/1.1\r\nHost: " + o_.to.address.to_string() +
                       "\r\nConnection: close\r\n\r\n";
        }
        host_.flush();
        const auto deadline =
            start_ + std::chrono::duration_cast<std::chrono::nanoseconds>(o_.timeout);
        while (!done_ && error_.empty() && shmif::tool::stop_requested == 0) {
            const auto now = Clock::now();
            if (now >= deadline) {
                error_ = "timed out";
                break;
            }
            host_.step(
                std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(5)));
            advance(Clock::now());
            host_.flush();
        }
        const auto seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        if (error_.empty() && !done_) error_ = "interrupted";
        if (!error_.empty()) {
            (void)stack_.tcp_abort(socket_, Clock::now());
            host_.flush();
            fmt::print(stderr, "shmifhost: {}: {} after {} bytes\n", o_.to.to_string(), error_,
                       counted_);
            return shmif::tool::exit_failure;
        }
        (void)stack_.tcp_close(socket_, Clock::now());
        // A few steps so our last ACK and FIN leave.
        host_.run_until(Clock::now() + std::chrono::milliseconds(50), [] { return false; });
        const double gbits = seconds > 0 ? static_cast<double>(counted_) * 8 / seconds / 1e9 : 0;
        fmt::print("bytes {} seconds {:.6f} gbit/s {:.3f} sha256 {}\n", counted_, seconds, gbits,
                   o_.sha256 ? sha_.hex_digest() : std::string("-"));
        std::fflush(stdout);
        return shmif::tool::exit_ok;
    }

  private:
    Host& host_;
    netstack::Stack& stack_;
    const TcpClientOptions& o_;
    netstack::SocketId socket_ = 0;
    Clock::time_point start_;
    bool sending_ = false;
    bool done_ = false;
    std::string error_;
    services::Sha256 sha_;
    std::uint64_t counted_ = 0;  // bytes sent (send) or body bytes received (fetch)
    std::string request_;        // HTTP request still to send
    std::string head_;           // HTTP response head being read
    bool head_done_ = false;
    bool shut_ = false;  // our FIN is queued
    std::vector<std::byte> buffer_ = std::vector<std::byte>(chunk);
    std::vector<std::byte> pattern_;  // send: one period of the pattern and a chunk more

    void hash(std::span<const std::byte> data) {
        if (o_.sha256) sha_.update(data);
    }

    int fail(const char* what, SocketError e) {
        fmt::print(stderr, "shmifhost: {}: {}: {}\n", o_.to.to_string(), what,
                   netstack::describe(e));
        return shmif::tool::exit_failure;
    }

    bool check(SocketError e) {
        if (e == SocketError::would_block || e == SocketError::in_progress) return true;
        if (auto pending = stack_.tcp_take_error(socket_)) e = *pending;
        error_ = netstack::describe(e);
        return false;
    }

    void advance(netstack::Instant now) {
        if (auto pending = stack_.tcp_take_error(socket_)) {
            error_ = netstack::describe(*pending);
            return;
        }
        if (sending_)
            send_more(now);
        else
            send_request(now);
        if (error_.empty()) receive_more(now);
    }

    void send_request(netstack::Instant now) {
        while (!request_.empty()) {
            auto sent = stack_.tcp_send(socket_, std::as_bytes(std::span(request_)), now);
            if (!sent) {
                check(sent.error());
                return;
            }
            request_.erase(0, *sent);
        }
    }

    void send_more(netstack::Instant now) {
        while (counted_ < o_.bytes) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk, o_.bytes - counted_));
            if (pattern_.empty()) {
                pattern_.resize(pattern_period + chunk);
                services::fill_bytes_pattern(0, pattern_);
            }
            const auto data = std::span<const std::byte>(pattern_).subspan(
                static_cast<std::size_t>(counted_ % pattern_period), n);
            auto sent = stack_.tcp_send(socket_, data, now);
            if (!sent) {
                check(sent.error());
                return;
            }
            hash(data.first(*sent));
            counted_ += *sent;
        }
        shut_down(now);
    }

    void shut_down(netstack::Instant now) {
        if (shut_) return;
        shut_ = true;
        if (auto r = stack_.tcp_shutdown(socket_, netstack::ShutdownHow::write, now); !r)
            check(r.error());
    }

    void receive_more(netstack::Instant now) {
        for (int i = 0; i < 1024; ++i) {
            auto got = stack_.tcp_receive(socket_, buffer_, now);
            if (!got) {
                check(got.error());
                return;
            }
            if (*got == 0) {  // the peer's FIN
                if (!sending_ && counted_ < o_.bytes)
                    error_ = "the peer closed early";
                else
                    done_ = true;
                return;
            }
            if (!sending_) take(std::span(buffer_).first(*got), now);
            if (!error_.empty()) return;
        }
    }

    // Fetched bytes: the HTTP head first (when asked), then the body up to --bytes.
    void take(std::span<const std::byte> data, netstack::Instant now) {
        if (o_.http && !head_done_) {
            head_.append(reinterpret_cast<const char*>(data.data()), data.size());
            const auto end = head_.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (head_.size() > max_response_head) error_ = "response head over 8 KiB";
                return;
            }
            if (!head_.starts_with("HTTP/1.1 200 ") && !head_.starts_with("HTTP/1.0 200 ")) {
                error_ = "HTTP status: " + head_.substr(0, head_.find('\r'));
                return;
            }
            if (!has_length(head_.substr(0, end + 2))) {
                error_ = "no Content-Length: " + std::to_string(o_.bytes);
                return;
            }
            head_done_ = true;
            const std::string body = head_.substr(end + 4);
            data = std::as_bytes(std::span(body));
            const auto keep = std::min<std::uint64_t>(data.size(), o_.bytes - counted_);
            hash(data.first(static_cast<std::size_t>(keep)));
            counted_ += keep;
        } else {
            const auto keep = std::min<std::uint64_t>(data.size(), o_.bytes - counted_);
            hash(data.first(static_cast<std::size_t>(keep)));
            counted_ += keep;
        }
        // All there: our FIN tells chargen to stop; the rest is read and dropped until theirs.
        if (counted_ == o_.bytes) shut_down(now);
    }

    bool has_length(const std::string& head) const {
        std::string lower;
        for (char c : head)
            lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
        return lower.find("\r\ncontent-length: " + std::to_string(o_.bytes) + "\r\n") !=
               std::string::npos;
    }
};

}  // namespace

int tcp_fetch(Host& host, const TcpClientOptions& options) {
    return Transfer(host, options).run(/*sending=*/false);
}

int tcp_send(Host& host, const TcpClientOptions& options) {
    return Transfer(host, options).run(/*sending=*/true);
}

}  // namespace shmifhost
