// tcp-rr and tcp-crr: netperf's TCP_RR and TCP_CRR shapes from our stack against an echo
// service (RFC 862). rr: one connection, one request of --size bytes in flight, the next sent
// when its whole echo came back. crr: per transaction connect, a 1-byte request, its echo, a
// graceful close (the connection finishes FIN/TIME-WAIT in the background, as close(2)). Both
// for --seconds (crr: or until every ephemeral port is in TIME-WAIT), driven by polling after every
// loop step as tcp-fetch is. Prints "transactions N seconds S per_second R p50_us A p99_us B" on
// stdout.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "exit_status.hpp"
#include "modes.hpp"
#include "stop_signals.hpp"

namespace shmifhost {
namespace {

using Clock = std::chrono::steady_clock;
using netstack::SocketError;

class RequestResponse {
  public:
    RequestResponse(Host& host, const TcpRrOptions& o)
        : host_(host),
          stack_(host.stack()),
          o_(o),
          request_(o.crr ? 1 : o.size, std::byte{'r'}),
          buffer_(std::max<std::size_t>(request_.size(), 64 * 1024)) {}

    int run() {
        const auto start = Clock::now();
        const auto end = start + std::chrono::duration_cast<Clock::duration>(o_.seconds);
        const auto limit = std::chrono::duration_cast<Clock::duration>(o_.timeout);
        if (!o_.crr && !open_connection(start)) return report_error();
        std::size_t sent = 0, received = 0;
        Clock::time_point began{};
        bool in_flight = false;
        while (error_.empty() && shmif::tool::stop_requested == 0) {
            auto now = Clock::now();
            if (!in_flight) {
                if (now >= end) break;
                if (o_.crr && !open_connection(now)) break;  // an error, or out of ports
                began = now;
                sent = received = 0;
                in_flight = true;
            }
            if (now - began > limit) {
                error_ = "timed out";
                break;
            }
            if (auto pending = stack_.tcp_take_error(socket_)) {
                error_ = netstack::describe(*pending);
                break;
            }
            while (sent < request_.size()) {
                auto n = stack_.tcp_send(socket_, std::span(request_).subspan(sent), now);
                if (!n) {
                    check(n.error());
                    break;
                }
                sent += *n;
            }
            while (error_.empty() && received < request_.size()) {
                auto got = stack_.tcp_receive(socket_, buffer_, now);
                if (!got) {
                    check(got.error());
                    break;
                }
                if (*got == 0) {
                    error_ = "the peer closed early";
                    break;
                }
                received += *got;
            }
            if (!error_.empty()) break;
            if (received >= request_.size()) {
                const auto done = Clock::now();
                latencies_.push_back(
                    std::chrono::duration<double, std::micro>(done - began).count());
                in_flight = false;
                if (o_.crr) {
                    (void)stack_.tcp_close(socket_, done);
                    socket_ = 0;
                }
                host_.flush();
                continue;  // the next request at once, no wait for the bus
            }
            host_.flush();
            now = Clock::now();
            host_.step(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(5),
                                                          began + limit - now));
        }
        const auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (error_.empty() && !ran_out_ && shmif::tool::stop_requested != 0) error_ = "interrupted";
        if (!error_.empty()) return report_error();
        if (socket_ != 0) (void)stack_.tcp_close(socket_, Clock::now());
        // A few steps so our last ACK and FIN leave.
        host_.run_until(Clock::now() + std::chrono::milliseconds(50), [] { return false; });
        std::sort(latencies_.begin(), latencies_.end());
        const auto n = latencies_.size();
        const double rate = seconds > 0 ? static_cast<double>(n) / seconds : 0;
        fmt::print("transactions {} seconds {:.6f} per_second {:.1f} p50_us {:.1f} p99_us {:.1f}\n",
                   n, seconds, rate, percentile(50), percentile(99));
        std::fflush(stdout);
        return n > 0 ? shmif::tool::exit_ok : shmif::tool::exit_failure;
    }

  private:
    Host& host_;
    netstack::Stack& stack_;
    const TcpRrOptions& o_;
    netstack::SocketId socket_ = 0;
    std::vector<std::byte> request_;
    std::vector<std::byte> buffer_;
    std::vector<double> latencies_;  // microseconds per transaction
    std::string error_;
    bool ran_out_ = false;  // crr: no ephemeral port left, the run ended early

    // Opens a socket and starts its handshake; the request is queued in SYN-SENT.
    bool open_connection(Clock::time_point now) {
        auto s = stack_.tcp_open();
        if (!s) {
            error_ = std::string("socket: ") + netstack::describe(s.error());
            return false;
        }
        socket_ = *s;
        (void)stack_.tcp_set_options(socket_, {.no_delay = true});
        if (auto c = stack_.tcp_connect(socket_, o_.to, now); !c) {
            // Every ephemeral port is in TIME-WAIT (60 s): the run ends here, its rate stands.
            if (o_.crr && !latencies_.empty() &&
                (c.error() == SocketError::no_ports ||
                 c.error() == SocketError::too_many_sockets)) {
                fmt::print(stderr,
                           "shmifhost: {}: connect: {} after {} transactions (TIME-WAIT): "
                           "stopping early\n",
                           o_.to.to_string(), netstack::describe(c.error()), latencies_.size());
                (void)stack_.tcp_close(socket_, now);
                socket_ = 0;
                ran_out_ = true;
                return false;
            }
            error_ = std::string("connect: ") + netstack::describe(c.error());
            return false;
        }
        host_.flush();
        return true;
    }

    void check(SocketError e) {
        if (e == SocketError::would_block || e == SocketError::in_progress ||
            e == SocketError::not_connected)
            return;
        if (auto pending = stack_.tcp_take_error(socket_)) e = *pending;
        error_ = netstack::describe(e);
    }

    double percentile(double p) const {
        if (latencies_.empty()) return 0;
        const auto rank =
            static_cast<std::size_t>(p / 100 * static_cast<double>(latencies_.size()));
        return latencies_[std::min(rank, latencies_.size() - 1)];
    }

    int report_error() {
        if (socket_ != 0) (void)stack_.tcp_abort(socket_, Clock::now());
        host_.flush();
        fmt::print(stderr, "shmifhost: {}: {} after {} transactions\n", o_.to.to_string(), error_,
                   latencies_.size());
        return shmif::tool::exit_failure;
    }
};

}  // namespace

int tcp_rr(Host& host, const TcpRrOptions& options) {
    return RequestResponse(host, options).run();
}

}  // namespace shmifhost
