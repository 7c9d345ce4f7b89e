#include "shmifd/control/server.hpp"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "connection.hpp"
#include "shmifd/control/protocol.hpp"

namespace shmifd::control {

namespace asio = boost::asio;

ControlServer::ControlServer(asio::io_context& io, CommandHandler& handler, ServerOptions options)
    : state_(std::make_shared<State>(io, handler, std::move(options))) {}

ControlServer::~ControlServer() {
    state_->close_everything_now();
}

const std::filesystem::path& ControlServer::path() const {
    return state_->options.path;
}

void ControlServer::start() {
    const ServerOptions& options = state_->options;
    SocketFileOptions file_options{.path = options.path, .mode = 0600, .group = std::nullopt};
    if (!options.group.empty()) {
        file_options.group = resolve_group(options.group);
        file_options.mode = 0660;
    }
    if (options.mode) file_options.mode = *options.mode;
    file_options.backlog = static_cast<int>(std::min<std::size_t>(options.max_clients, 1024));

    state_->file = create_socket_file(file_options);
    boost::system::error_code error;
    state_->acceptor.assign(asio::local::stream_protocol(), state_->file.fd, error);
    if (error) {
        ::close(state_->file.fd);
        remove_socket_file(options.path, state_->file);
        throw std::runtime_error(
            fmt::format("{}: cannot accept: {}", options.path.native(), error.message()));
    }
    state_->listening = true;
    asio::post(state_->strand, [state = state_] { state->accept_next(); });
}

void ControlServer::stop(std::function<void()> on_stopped) {
    asio::post(state_->strand, [state = state_, on_stopped = std::move(on_stopped)]() mutable {
        if (on_stopped) state->on_stopped.push_back(std::move(on_stopped));
        state->begin_stop();
    });
}

void ControlServer::end_grace() {
    asio::post(state_->strand, [state = state_] {
        if (state->stopping && !state->stopped) state->end_grace();
    });
}

ServerStats ControlServer::stats() const {
    const auto& c = state_->counters;
    return ServerStats{.accepted = c.accepted,
                       .refused_clients = c.refused_clients,
                       .requests = c.requests,
                       .protocol_errors = c.protocol_errors,
                       .too_large = c.too_large,
                       .handler_errors = c.handler_errors,
                       .slow_clients_dropped = c.slow_clients_dropped,
                       .active_clients = c.active_clients,
                       .refused_busy = c.refused_busy,
                       .in_flight = c.in_flight};
}

void ControlServer::State::accept_next() {
    if (!listening) return;
    acceptor.async_accept(
        asio::make_strand(io), [self = shared_from_this()](const boost::system::error_code& error,
                                                           Connection::Socket socket) {
            if (!self->listening) return;
            if (error) {
                // EMFILE and friends: keep serving the clients we have, try again soon.
                if (error == asio::error::operation_aborted) return;
                self->accept_retry.expires_after(std::chrono::milliseconds(100));
                self->accept_retry.async_wait([self](const boost::system::error_code& waited) {
                    if (!waited) self->accept_next();
                });
                return;
            }
            self->counters.accepted++;
            if (self->connections.size() >= self->options.max_clients) {
                // Tell the client why before hanging up; best effort, never blocks.
                self->counters.refused_clients++;
                boost::system::error_code ignored;
                socket.non_blocking(true, ignored);
                const auto line = error_line(nullptr, errc::busy, "too many clients");
                socket.write_some(asio::buffer(line), ignored);
                socket.close(ignored);
            } else {
                auto connection = std::make_shared<Connection>(self, std::move(socket));
                self->connections.emplace(connection.get(), connection);
                self->counters.active_clients = self->connections.size();
                connection->start();
            }
            self->accept_next();
        });
}

void ControlServer::State::begin_stop() {
    if (stopping.exchange(true)) {
        finish_stop_if_idle();
        return;
    }
    if (listening) {
        listening = false;
        boost::system::error_code ignored;
        acceptor.close(ignored);
        accept_retry.cancel();
        remove_socket_file(options.path, file);
    }
    for (auto& [raw, connection] : connections)
        connection->shut_down();
    grace_timer.expires_after(options.stop_grace);
    grace_timer.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
        if (!error) self->end_grace();
    });
    finish_stop_if_idle();
}

void ControlServer::State::end_grace() {
    grace_timer.cancel();
    // Requests still unanswered get shutting_down, never a bare close.
    for (auto& [raw, connection] : connections)
        connection->give_up();
}

void ControlServer::State::forget(Connection* connection) {
    connections.erase(connection);
    counters.active_clients = connections.size();
    finish_stop_if_idle();
}

void ControlServer::State::finish_stop_if_idle() {
    if (!stopping || !connections.empty() || stopped) return;
    stopped = true;
    grace_timer.cancel();
    auto callbacks = std::move(on_stopped);
    on_stopped.clear();
    for (auto& callback : callbacks)
        callback();
}

void ControlServer::State::close_everything_now() {
    stopping = true;
    if (listening) {
        listening = false;
        boost::system::error_code ignored;
        acceptor.close(ignored);
        remove_socket_file(options.path, file);
    }
    grace_timer.cancel();
    accept_retry.cancel();
    for (auto& [raw, connection] : connections)
        connection->close_now();
    connections.clear();
    counters.active_clients = 0;
}

}  // namespace shmifd::control
