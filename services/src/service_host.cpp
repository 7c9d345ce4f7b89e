#include "services/service_host.hpp"

#include <algorithm>

#include "services/patterns.hpp"

namespace services {

namespace {

constexpr std::size_t chunk = 16 * 1024;
constexpr std::size_t backlog = 1024;
constexpr std::size_t udp_reply_max = 512;  // RFC 864's chargen datagram bound
// Work bounds per event; the stack's own queues are far smaller, so they only stop a bug.
constexpr int max_rounds = 4096;
constexpr int max_accepts = 65536;

std::string failure(const ServiceSpec& spec, const char* what, netstack::SocketError e) {
    return spec.to_string() + ": " + what + ": " + netstack::describe(e);
}

}  // namespace

ServiceCounters& ServiceCounters::operator+=(const ServiceCounters& o) {
    connections += o.connections;
    active += o.active;
    bytes_received += o.bytes_received;
    bytes_sent += o.bytes_sent;
    datagrams += o.datagrams;
    requests += o.requests;
    errors += o.errors;
    return *this;
}

ServiceHost::ServiceHost(netstack::Stack& stack, SocketWatcher& watcher, Clock clock)
    : stack_(stack), watcher_(watcher), clock_(std::move(clock)), scratch_(64 * 1024) {}

ServiceHost::~ServiceHost() {
    for (auto& [id, service] : services_)
        close_service(service);
}

std::expected<void, std::string> ServiceHost::add(const ServiceSpec& spec) {
    if (auto why = check_service(spec); !why.empty()) return std::unexpected(why);
    for (const auto& [id, s] : services_)
        if (conflicts(s.spec, spec))
            return std::unexpected(spec.to_string() + ": port in use by " + s.spec.to_string());
    const auto id = next_service_++;
    Service service{.spec = spec, .listener = {}, .udp = {}, .counters = {}};
    // ::, the dual-stack wildcard: the service answers over IPv4 and IPv6.
    const netstack::Endpoint local{netstack::Ipv6Address::any(), spec.port};
    if (spec.uses_tcp()) {
        auto s = stack_.tcp_open();
        if (!s) return std::unexpected(failure(spec, "tcp socket", s.error()));
        service.listener = *s;
        auto bound = stack_.tcp_bind(*s, local);
        auto listening =
            bound ? stack_.tcp_listen(*s, backlog)
                  : std::expected<void, netstack::SocketError>(std::unexpected(bound.error()));
        if (!listening) {
            close_service(service);
            return std::unexpected(failure(spec, "tcp listen", listening.error()));
        }
    }
    const auto shard = stack_.config().shard;
    if (spec.uses_udp() && spec.port % shard.count == shard.index) {
        auto s = stack_.udp_open();
        if (!s) {
            close_service(service);
            return std::unexpected(failure(spec, "udp socket", s.error()));
        }
        service.udp = *s;
        if (auto bound = stack_.udp_bind(*s, local); !bound) {
            close_service(service);
            return std::unexpected(failure(spec, "udp bind", bound.error()));
        }
    }
    if (service.listener) watcher_.watch(*service.listener, [this, id] { on_listener(id); });
    if (service.udp) watcher_.watch(*service.udp, [this, id] { on_udp(id); });
    services_.emplace(id, std::move(service));
    return {};
}

bool ServiceHost::remove(const ServiceSpec& spec) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const auto& entry) {
        return entry.second.spec.port == spec.port && entry.second.spec.transport == spec.transport;
    });
    if (it == services_.end()) return false;
    close_service(it->second);
    services_.erase(it);
    return true;
}

std::vector<ServiceHost::Entry> ServiceHost::list() const {
    std::vector<Entry> out;
    for (const auto& [id, s] : services_)
        out.push_back({s.spec, s.counters});
    return out;
}

void ServiceHost::close_service(Service& service) {
    const auto now = clock_();
    std::vector<netstack::SocketId> doomed;
    for (const auto& [socket, c] : connections_)
        if (services_.contains(c.service) && &services_.at(c.service) == &service)
            doomed.push_back(socket);
    for (const auto socket : doomed) {
        watcher_.unwatch(socket);
        (void)stack_.tcp_abort(socket, now);
        connections_.erase(socket);
    }
    service.counters.active = 0;
    if (service.listener) {
        watcher_.unwatch(*service.listener);
        (void)stack_.tcp_close(*service.listener, now);
        service.listener.reset();
    }
    if (service.udp) {
        watcher_.unwatch(*service.udp);
        (void)stack_.close(*service.udp);
        service.udp.reset();
    }
}

void ServiceHost::on_listener(std::uint64_t id) {
    auto it = services_.find(id);
    if (it == services_.end() || !it->second.listener) return;
    auto& service = it->second;
    // Drain the accept queue: its readiness is an edge, raised again only once it emptied.
    for (int i = 0; i < max_accepts; ++i) {
        auto socket = stack_.tcp_accept(*service.listener);
        if (!socket) {
            if (socket.error() != netstack::SocketError::would_block) ++service.counters.errors;
            break;
        }
        ++service.counters.connections;
        ++service.counters.active;
        Connection c;
        c.socket = *socket;
        c.service = id;
        c.session = make_session(service.spec.kind);
        c.out.resize(chunk);
        auto& stored = connections_.emplace(*socket, std::move(c)).first->second;
        watcher_.watch(*socket, [this, s = *socket] { on_connection(s); });
        pump(stored);  // chargen speaks first
    }
}

void ServiceHost::on_udp(std::uint64_t id) {
    auto it = services_.find(id);
    if (it == services_.end() || !it->second.udp) return;
    auto& service = it->second;
    const auto socket = *service.udp;
    for (int i = 0; i < max_accepts; ++i) {
        auto d = stack_.udp_receive(socket, scratch_);
        if (!d) break;
        ++service.counters.datagrams;
        service.counters.bytes_received += d->size;
        std::span<const std::byte> reply;
        if (service.spec.kind == ServiceKind::echo) {
            reply = std::span(scratch_).first(d->size);
        } else if (service.spec.kind == ServiceKind::chargen) {
            // A datagram of the pattern whose length varies with the count, up to 512.
            const auto length =
                static_cast<std::size_t>(service.counters.datagrams * 74 % (udp_reply_max + 1));
            fill_chargen(service.counters.datagrams * chargen_line_length,
                         std::span(scratch_).first(length));
            reply = std::span(scratch_).first(length);
        } else {
            continue;
        }
        if (auto sent = stack_.udp_send_to(socket, reply, d->from, clock_()); sent)
            service.counters.bytes_sent += reply.size();
        else
            ++service.counters.errors;
    }
}

void ServiceHost::on_connection(netstack::SocketId socket) {
    auto it = connections_.find(socket);
    if (it == connections_.end()) return;
    if (stack_.tcp_take_error(socket)) return finish(socket, /*failed=*/true);
    pump(it->second);
}

void ServiceHost::count_session(Connection& c, Service& service) {
    service.counters.requests += c.session->requests() - c.requests_counted;
    service.counters.errors += c.session->protocol_errors() - c.errors_counted;
    c.requests_counted = c.session->requests();
    c.errors_counted = c.session->protocol_errors();
}

void ServiceHost::pump(Connection& c) {
    auto& service = services_.at(c.service);
    const auto socket = c.socket;
    const auto now = clock_();
    for (int round = 0; round < max_rounds; ++round) {
        bool progress = false;
        // Out first: what waits is sent, then more is asked for, until the socket is full.
        while (true) {
            if (c.out_pos == c.out_len) {
                c.out_pos = 0;
                c.out_len = c.session->produce(c.out);
                count_session(c, service);
                if (c.out_len == 0) break;
            }
            auto sent = stack_.tcp_send(
                socket, std::span(c.out).subspan(c.out_pos, c.out_len - c.out_pos), now);
            if (!sent) {
                if (sent.error() == netstack::SocketError::would_block) break;
                return finish(socket, /*failed=*/true);
            }
            if (*sent == 0) break;
            c.out_pos += *sent;
            service.counters.bytes_sent += *sent;
            progress = true;
        }
        // In while the session takes it; one read per round, so output keeps up.
        if (!c.eof && c.session->wants_input()) {
            auto got = stack_.tcp_receive(socket, scratch_, now);
            if (got && *got == 0) {
                c.eof = true;
                c.session->end_of_input();
                progress = true;
            } else if (got) {
                service.counters.bytes_received += *got;
                c.session->receive(std::span(scratch_).first(*got));
                progress = true;
            } else if (got.error() != netstack::SocketError::would_block) {
                return finish(socket, /*failed=*/true);
            }
        }
        if (c.session->finished() && c.out_pos == c.out_len) {
            count_session(c, service);
            return finish(socket, /*failed=*/false);
        }
        if (!progress) return;
    }
}

void ServiceHost::finish(netstack::SocketId socket, bool failed) {
    auto it = connections_.find(socket);
    if (it == connections_.end()) return;
    auto& service = services_.at(it->second.service);
    if (failed) ++service.counters.errors;
    --service.counters.active;
    watcher_.unwatch(socket);
    const auto now = clock_();
    if (failed)
        (void)stack_.tcp_abort(socket, now);
    else
        (void)stack_.tcp_close(socket, now);
    connections_.erase(it);
}

}  // namespace services
