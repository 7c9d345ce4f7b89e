#include "expose_share.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "host_socket.hpp"
#include "shard.hpp"
#include "shard_forwards.hpp"
#include "sockets/errno_names.hpp"

namespace shmifd::forward {

namespace {
constexpr std::size_t backlog = 1024;
}

ExposeShare::ExposeShare(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                         std::uint16_t port_index)
    : owner_(owner), state_(std::move(state)), port_index_(port_index) {}

ExposeShare::~ExposeShare() {
    if (!socket_) return;
    owner_.shard().unwatch(*socket_);
    (void)owner_.shard().stack().tcp_close(*socket_, std::chrono::steady_clock::now());
}

std::expected<void, std::string> ExposeShare::start() {
    auto& stack = owner_.shard().stack();
    const auto at = state_->spec.listen(port_index_);
    auto fail = [&](netstack::SocketError error) -> std::expected<void, std::string> {
        return std::unexpected(at.to_string() + ": " + netstack::describe(error));
    };
    auto opened = stack.tcp_open();
    if (!opened) return fail(opened.error());
    socket_ = *opened;
    netstack::TcpSocketOptions options;
    options.no_delay = true;  // accepted connections inherit it: a forward passes on at once
    (void)stack.tcp_set_options(*socket_, options);
    if (auto bound = stack.tcp_bind(*socket_, at); !bound) return fail(bound.error());
    if (auto listening = stack.tcp_listen(*socket_, backlog); !listening)
        return fail(listening.error());
    owner_.shard().watch(*socket_, [this] { accept_ready(); });
    return {};
}

void ExposeShare::accept_ready() {
    auto& stack = owner_.shard().stack();
    const auto now = std::chrono::steady_clock::now();
    const auto target = state_->spec.target(port_index_);
    for (;;) {
        auto accepted = stack.tcp_accept(*socket_);
        if (!accepted) return;
        if (!state_->admit()) {
            (void)stack.tcp_abort(*accepted, now);
            continue;
        }
        auto host = connect_tcp(target);
        if (!host) {
            // Refused by the host at once (or out of descriptors): so is the virtual client.
            (void)stack.tcp_abort(*accepted, now);
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
            if (host.error() == EMFILE || host.error() == ENFILE)
                state_->counters.fd_exhausted.fetch_add(1, std::memory_order_relaxed);
            state_->abandoned();
            spdlog::debug("{}: connect to {}: {}", state_->spec.name(), target.to_string(),
                          sockets::errno_name(host.error()));
            continue;
        }
        owner_.splice(state_, *host, *accepted, target, /*connected=*/true);
    }
}

}  // namespace shmifd::forward
