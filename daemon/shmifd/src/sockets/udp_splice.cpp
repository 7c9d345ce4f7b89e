#include "udp_splice.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "../shard.hpp"
#include "dgram_header.hpp"
#include "errno_names.hpp"
#include "icmp_errno.hpp"
#include "shard_sockets.hpp"
#include "socket_family.hpp"

namespace shmifd::sockets {

namespace {

constexpr std::size_t header_size = sizeof(shmifsock_dgram);
constexpr std::size_t max_datagram = 65535;
constexpr int max_per_event = 256;  // datagrams each way per event, then the loop goes on

}  // namespace

UdpSplice::UdpSplice(Shard& shard, ShardSockets& owner, std::shared_ptr<SockRecord> record, int fd)
    : shard_(shard), owner_(owner), record_(std::move(record)), fd_(fd) {
    buffer_.resize(header_size + max_datagram);
}

UdpSplice::~UdpSplice() {
    close();
}

bool UdpSplice::start() {
    return owner_.reactor().add(fd_, EPOLLIN | EPOLLRDHUP,
                                [this](std::uint32_t events) { on_fd(events); });
}

std::expected<netstack::Endpoint, netstack::SocketError> UdpSplice::bind(netstack::Endpoint local) {
    auto& stack = shard_.stack();
    if (!socket_) {
        auto opened = stack.udp_open();
        if (!opened) return std::unexpected(opened.error());
        {
            std::lock_guard lock(record_->mutex);
            stack.udp_set_reuse_address(*opened, record_->options.reuse_address);
            (void)stack.udp_set_v6_only(*opened, record_->options.v6_only);  // not bound yet
        }
        auto bound = stack.udp_bind(*opened, local);
        if (!bound) {
            (void)stack.close(*opened);
            return std::unexpected(bound.error());
        }
        socket_ = *opened;
        shard_.watch(*socket_, [this] { on_stack(); });
        std::lock_guard lock(record_->mutex);
        record_->local = *bound;
        record_->state = "bound";
        return *bound;
    }
    return std::unexpected(netstack::SocketError::invalid);  // bound already: EINVAL
}

std::expected<netstack::Endpoint, netstack::SocketError> UdpSplice::connect(
    std::optional<netstack::Endpoint> remote) {
    if (!remote) {
        if (socket_)
            if (auto done = shard_.stack().udp_disconnect(*socket_); !done)
                return std::unexpected(done.error());
        std::lock_guard lock(record_->mutex);
        record_->remote.reset();
        if (record_->state == "connected") record_->state = "bound";
        return record_->local.value_or(netstack::Endpoint{});
    }
    if (!socket_) {  // the implicit bind to the family's wildcard, as Linux's autobind
        const auto family =
            record_->domain == SockDomain::inet6 ? netstack::IpFamily::v6 : netstack::IpFamily::v4;
        if (auto bound = bind({netstack::IpAddress::any(family), 0}); !bound)
            return std::unexpected(bound.error());
    }
    if (auto connected = shard_.stack().udp_connect(*socket_, *remote); !connected)
        return std::unexpected(connected.error());
    auto local = shard_.stack().udp_local(*socket_);
    std::lock_guard lock(record_->mutex);
    record_->remote = *remote;
    record_->state = "connected";
    if (local) record_->local = *local;
    return record_->local.value_or(netstack::Endpoint{});
}

void UdpSplice::on_fd(std::uint32_t events) {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) from_client();
    if (!finished_ && (events & (EPOLLHUP | EPOLLERR))) finish();
}

void UdpSplice::on_stack() {
    if (!finished_) to_client();
}

void UdpSplice::from_client() {
    const auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < max_per_event && !finished_; ++i) {
        const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n == 0) {
            finish();  // SOCK_SEQPACKET: 0 is the end, every copy of the client's end closed
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) finish();
            return;
        }
        if (static_cast<std::size_t>(n) < header_size) {
            note_error("EINVAL");  // not a framed datagram: dropped
            continue;
        }
        shmifsock_dgram header;
        std::memcpy(&header, buffer_.data(), header_size);
        const std::span<const std::byte> payload(buffer_.data() + header_size,
                                                 static_cast<std::size_t>(n) - header_size);
        if (!socket_)
            if (auto bound = bind({}); !bound) {
                note_error(errno_name(bound.error()));
                continue;
            }
        if (header.family == 0) {
            sent_or_note(shard_.stack().udp_send(*socket_, payload, now), payload.size());
            continue;
        }
        bool v6_only = false;
        if (record_->domain == SockDomain::inet6) {
            std::lock_guard lock(record_->mutex);
            v6_only = record_->options.v6_only;
        }
        const auto to = to_stack(record_->domain, v6_only, endpoint_of(header), AddressUse::send);
        if (!to) {
            note_error(to.error());
            continue;
        }
        sent_or_note(shard_.stack().udp_send_to(*socket_, payload, *to, now), payload.size());
    }
}

void UdpSplice::sent_or_note(const std::expected<void, netstack::SocketError>& sent,
                             std::size_t size) {
    if (sent)
        record_->bytes_out += size;
    else
        note_error(sent.error() == netstack::SocketError::not_connected ? "EDESTADDRREQ"
                                                                        : errno_name(sent.error()));
}

void UdpSplice::to_client() {
    if (!socket_) return;
    for (int i = 0; i < max_per_event; ++i) {
        auto got = shard_.stack().udp_receive(
            *socket_, std::span<std::byte>(buffer_.data() + header_size, max_datagram));
        if (!got) {
            report_icmp_error();  // once the queue is empty, as Linux reports sk_err
            return;
        }
        const auto header =
            header_of(sockets::to_client(record_->domain, got->from), got->full_size > got->size);
        std::memcpy(buffer_.data(), &header, header_size);
        const ssize_t n =
            ::send(fd_, buffer_.data(), header_size + got->size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            ++record_->drops;  // the client's end is full (or gone): dropped, as the kernel
            continue;
        }
        record_->bytes_in += got->size;
    }
}

void UdpSplice::report_icmp_error() {
    const auto error = shard_.stack().take_error(*socket_);
    if (!error) return;
    bool connected = false;
    {
        std::lock_guard lock(record_->mutex);
        connected = record_->remote.has_value();
    }
    const int number = icmp_errno(*error);
    if (!connected || number == 0) return;  // as Linux without IP_RECVERR
    shmifsock_dgram header{};
    header.flags = SHMIFSOCK_DGRAM_ERROR;
    std::memcpy(header.addr, &number, sizeof number);
    if (::send(fd_, &header, sizeof header, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) ++record_->drops;
}

void UdpSplice::note_error(const std::string& name) {
    std::lock_guard lock(record_->mutex);
    record_->pending_error = name;
}

void UdpSplice::close() {
    if (socket_) {
        shard_.unwatch(*socket_);
        (void)shard_.stack().close(*socket_);
        socket_.reset();
    }
    if (fd_ >= 0) {
        owner_.reactor().remove(fd_);
        ::close(fd_);
        fd_ = -1;
    }
}

int UdpSplice::release() {
    finished_ = true;
    if (socket_) {
        shard_.unwatch(*socket_);
        (void)shard_.stack().close(*socket_);
        socket_.reset();
    }
    owner_.reactor().remove(fd_);
    return std::exchange(fd_, -1);
}

void UdpSplice::finish() {
    if (finished_) return;
    finished_ = true;
    close();
    std::string error;
    {
        std::lock_guard lock(record_->mutex);
        record_->closed = true;
        error = record_->pending_error;
    }
    owner_.retire_udp(record_->id, error);
}

}  // namespace shmifd::sockets
