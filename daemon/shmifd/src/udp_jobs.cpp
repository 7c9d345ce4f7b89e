#include "udp_jobs.hpp"

#include <memory>
#include <vector>

#include "shmifd/control/payload_text.hpp"

namespace shmifd {

namespace {

// One udp.recv reply carries at most this much payload (before JSON escaping, which may
// multiply it by six): collecting stops there and the reply says "truncated".
constexpr std::size_t max_reply_payload = 1024 * 1024;

control::CommandError socket_failure(const std::string& what, netstack::SocketError e) {
    return {"failed", what + ": " + netstack::describe(e)};
}

class UdpRecvJob final : public ShardJob, public std::enable_shared_from_this<UdpRecvJob> {
  public:
    UdpRecvJob(Shard& shard, const UdpRecvParams& params, control::Done done)
        : shard_(shard), params_(params), done_(std::move(done)) {}

    void begin(netstack::SocketId socket) {
        socket_ = socket;
        auto self = shared_from_this();
        shard_.start_job(self);
        shard_.watch(socket_, [weak = std::weak_ptr(self)] {
            if (auto s = weak.lock()) s->on_readable();
        });
        timer_ = shard_.timers().schedule_after(params_.timeout, [self] { self->finish(); });
    }

    void cancel() override {
        finish(control::CommandError{"shutting_down", "the daemon is stopping"});
    }

  private:
    Shard& shard_;
    UdpRecvParams params_;
    control::Done done_;
    netstack::SocketId socket_ = 0;
    engine::TimerQueue::TimerId timer_ = 0;
    nlohmann::json datagrams_ = nlohmann::json::array();
    std::size_t payload_ = 0;  // bytes of data in datagrams_
    bool truncated_ = false;
    bool finished_ = false;
    std::vector<std::byte> buffer_ = std::vector<std::byte>(65535);  // the largest datagram

    bool full() const { return datagrams_.size() >= params_.count || truncated_; }

    // The payload exactly, in base64; as text too when it is valid UTF-8 (JSON strings
    // cannot hold other bytes, and the reply must never repair them).
    nlohmann::json datagram_json(const netstack::Endpoint& from, std::size_t size,
                                 std::size_t full_size) const {
        const std::string_view bytes(reinterpret_cast<const char*>(buffer_.data()), size);
        nlohmann::json datagram = {{"from", from.to_string()},
                                   {"data_base64", control::base64_encode(bytes)},
                                   {"size", full_size}};
        if (control::is_valid_utf8(bytes)) datagram["data"] = bytes;
        return datagram;
    }

    void on_readable() {
        while (!full()) {
            auto d = shard_.stack().udp_receive(socket_, buffer_);
            if (!d) break;
            datagrams_.push_back(datagram_json(d->from, d->size, d->full_size));
            payload_ += d->size;
            truncated_ = payload_ >= max_reply_payload && datagrams_.size() < params_.count;
        }
        if (full()) finish();
    }

    void finish(std::optional<control::CommandError> error = std::nullopt) {
        if (finished_) return;
        finished_ = true;
        auto self = shared_from_this();
        shard_.timers().cancel(timer_);
        shard_.unwatch(socket_);
        (void)shard_.stack().close(socket_);
        shard_.finish_job(this);
        if (error)
            done_(std::unexpected(*error));
        else
            done_(nlohmann::json{{"datagrams", std::move(datagrams_)}, {"truncated", truncated_}});
    }
};

}  // namespace

std::string udp_payload_arg(control::Args& args) {
    auto text = args.optional_string("data");
    const auto base64 = args.optional_string("data_base64");
    if (text && base64) throw control::ArgumentError("give data or data_base64, not both");
    if (base64) {
        text = control::base64_decode(*base64);
        if (!text) throw control::ArgumentError("data_base64 is not canonical padded base64");
    }
    if (!text) throw control::ArgumentError("missing argument data (or data_base64)");
    if (text->size() > 65507) throw control::ArgumentError("data is longer than 65507 bytes");
    return std::move(*text);
}

void udp_send(Shard& shard, const UdpSendParams& params, control::Done done) {
    auto& stack = shard.stack();
    auto socket = stack.udp_open();
    if (!socket)
        return done(std::unexpected(socket_failure("cannot open a socket", socket.error())));
    auto close = [&] { (void)stack.close(*socket); };
    auto local =
        stack.udp_bind(*socket, {netstack::IpAddress::any(params.to.family()), params.from_port});
    if (!local) {
        close();
        return done(std::unexpected(
            socket_failure("cannot bind port " + std::to_string(params.from_port), local.error())));
    }
    const auto now = std::chrono::steady_clock::now();
    auto sent = stack.udp_send_to(*socket, std::as_bytes(std::span(params.data)), params.to, now);
    shard.service(now);
    close();
    if (!sent)
        return done(std::unexpected(
            socket_failure("cannot send to " + params.to.to_string(), sent.error())));
    const auto from_address = stack.source_address(params.to.address).value_or(local->address);
    done(nlohmann::json{{"sent", params.data.size()},
                        {"from", netstack::Endpoint{from_address, local->port}.to_string()}});
}

void udp_recv(Shard& shard, const UdpRecvParams& params, control::Done done) {
    auto& stack = shard.stack();
    auto socket = stack.udp_open();
    if (!socket)
        return done(std::unexpected(socket_failure("cannot open a socket", socket.error())));
    auto bound =
        stack.udp_bind(*socket, {netstack::Ipv6Address::any(), params.port});  // both families
    if (!bound) {
        (void)stack.close(*socket);
        return done(std::unexpected(
            socket_failure("cannot bind port " + std::to_string(params.port), bound.error())));
    }
    auto job = std::make_shared<UdpRecvJob>(shard, params, std::move(done));
    job->begin(*socket);
}

}  // namespace shmifd
