// What each control command does (daemon/PROTOCOL.md): arguments are checked at once on the
// control thread; reconfigurations and queries that stop workers run on the reconfiguration
// thread, one at a time; socket commands go straight to the shard that owns them.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "dataplane.hpp"
#include "forward/forward_service.hpp"
#include "serial_executor.hpp"
#include "shmifd/control/handler.hpp"
#include "sockets/socket_service.hpp"

namespace shmifd {

class DaemonHandler final : public control::CommandHandler {
  public:
    // `running_config` is called on the reconfiguration thread.
    DaemonHandler(Dataplane& dataplane, SerialExecutor& executor, sockets::SocketService& sockets,
                  forward::ForwardService& forwards, std::function<Config()> running_config);

    void handle(control::Request request, control::Done done) override;
    // From now on every request is answered shutting_down.
    void refuse_requests() { refusing_.store(true); }

  private:
    using Command = void (DaemonHandler::*)(control::Args&, control::Done&);
    Dataplane& dataplane_;
    SerialExecutor& executor_;
    sockets::SocketService& sockets_;
    forward::ForwardService& forwards_;
    std::function<Config()> running_config_;
    std::atomic<bool> refusing_{false};
    // The client of the request being dispatched (handle() runs on the control thread only).
    std::int64_t peer_pid_ = 0;
    const control::Request* request_ = nullptr;  // the one being dispatched
    std::map<std::string, Command, std::less<>> commands_;

    // Runs `fn` on the reconfiguration thread and answers with what it returns; an
    // exception there becomes `failed`.
    void later(control::Done& done, std::function<control::Result()> fn);
    // As later(), for a change of the configuration: logged at info with the client's pid
    // once applied ("if add eth1 bus=/x by pid 1234"), at warn when refused.
    void change(control::Done& done, std::string what, std::function<control::Result()> fn);

    void version(control::Args&, control::Done&);
    void if_list(control::Args&, control::Done&);
    void if_add(control::Args&, control::Done&);
    void if_del(control::Args&, control::Done&);
    void if_up(control::Args&, control::Done&);
    void if_down(control::Args&, control::Done&);
    void addr_list(control::Args&, control::Done&);
    void addr_add(control::Args&, control::Done&);
    void addr_del(control::Args&, control::Done&);
    void route_list(control::Args&, control::Done&);
    void route_add(control::Args&, control::Done&);
    void route_del(control::Args&, control::Done&);
    void neigh_list(control::Args&, control::Done&);
    void neigh_flush(control::Args&, control::Done&);
    void ping(control::Args&, control::Done&);
    void udp_send(control::Args&, control::Done&);
    void udp_recv(control::Args&, control::Done&);
    void stats(control::Args&, control::Done&);
    void bus_stats(control::Args&, control::Done&);
    void config(control::Args&, control::Done&);
    // command_handler_services.cpp
    void service_add(control::Args&, control::Done&);
    void service_del(control::Args&, control::Done&);
    void service_list(control::Args&, control::Done&);
    void tcp_list(control::Args&, control::Done&);
    void config_save(control::Args&, control::Done&);
    void if_set(control::Args&, control::Done&);
    void stack_set(control::Args&, control::Done&);
    void stack_show(control::Args&, control::Done&);
    // command_handler_impair.cpp
    void impair_set(control::Args&, control::Done&);
    void impair_clear(control::Args&, control::Done&);
    void impair_show(control::Args&, control::Done&);
    // command_handler_forward.cpp
    void fwd_add(control::Args&, control::Done&);
    void fwd_del(control::Args&, control::Done&);
    void fwd_list(control::Args&, control::Done&);
    // command_handler_sockets.cpp: every sock.* command
    void sock(control::Args&, control::Done&);
};

}  // namespace shmifd
