#include "daemon.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include <pthread.h>
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>

#include "command_handler.hpp"
#include "config_apply.hpp"
#include "dataplane.hpp"
#include "forward/forward_service.hpp"
#include "notify.hpp"
#include "serial_executor.hpp"
#include "shmifd/control/server.hpp"
#include "shmifd/version.hpp"
#include "signal_reader.hpp"
#include "sockets/socket_service.hpp"

namespace shmifd {

namespace {

void log_report(const ApplyReport& report) {
    for (const auto& line : report.changes)
        spdlog::info("{}", line);
    for (const auto& line : report.errors)
        spdlog::error("{}", line);
}

control::ServerOptions server_options(const DaemonSettings& d) {
    control::ServerOptions options;
    options.path = d.socket;
    if (d.socket_group) options.group = *d.socket_group;
    // A stop lets requests in flight (a long ping) run this long, then answers them
    // shutting_down.
    options.stop_grace = std::chrono::milliseconds(d.drain_ms);
    return options;
}

// Everything that lives while the daemon runs, in the order it is built; torn down in
// reverse by run_daemon.
class Daemon {
  public:
    Daemon(Config config, CommandLineOverrides overrides)
        : config_(std::move(config)),
          file_(config_),
          overrides_(std::move(overrides)),
          forwards_(config_.daemon.forward_max_connections),
          dataplane_(config_.stack, config_.daemon.workers, config_.daemon.pin_workers,
                     [](std::string_view line) { spdlog::info("workers: {}", line); }),
          handler_(dataplane_, executor_, sockets_, forwards_, [this] { return running_config(); }),
          signals_(io_, {SIGINT, SIGTERM, SIGHUP}) {}

    bool start() {
        spdlog::info("shmifd {} starting: {} worker(s)", SHMIFD_VERSION, dataplane_.shard_count());
        // The socket first: a daemon already answering there means this one must not touch
        // the buses at all (no gratuitous ARP from a daemon that is about to give up). Clients
        // that connect now wait in the backlog until run() serves them.
        server_ =
            std::make_unique<control::ControlServer>(io_, handler_, server_options(config_.daemon));
        try {
            server_->start();
        } catch (const std::exception& e) {
            spdlog::critical("control socket {}: {}", config_.daemon.socket, e.what());
            return false;
        }
        sockets_.start(dataplane_);
        forwards_.start(dataplane_);
        const auto report = apply_config(dataplane_, forwards_, config_);
        log_report(report);
        if (!report.errors.empty()) {
            spdlog::critical("the configuration could not be applied; stopping");
            // A taken address is as wrong as a bad file: exit 2 (no restart under systemd).
            if (report.address_in_use) failure_status_ = 2;
            return false;
        }
        spdlog::info("control socket {}", config_.daemon.socket);
        wait_for_signal();
        notify_systemd("READY=1\nSTATUS=serving " + config_.daemon.socket);
        return true;
    }

    void run() { io_.run(); }
    // The exit status after start() failed.
    int failure_status() const { return failure_status_; }

    // After run(): nothing may still be answering through the server or touching the
    // dataplane when they go.
    void tear_down() {
        handler_.refuse_requests();
        executor_.drain();
        dataplane_.cancel_jobs();
        server_.reset();
        spdlog::info("detaching from the buses; bye");
    }

  private:
    // Declared first, destroyed last: until the pool has joined (in ~Dataplane), workers may
    // still answer requests, and every answer is posted to a connection strand of io_.
    boost::asio::io_context io_;
    Config config_;  // what the daemon was started with or last reloaded
    Config file_;    // the configuration last loaded (start or reload), before run-time changes
    const CommandLineOverrides overrides_;  // win over the file at every reload too
    std::mutex config_lock_;
    // Before the dataplane, destroyed after it: the shards' socket data paths use its table
    // until the workers are gone.
    sockets::SocketService sockets_;
    // Likewise for port forwarding (the shards' splices count against its budget).
    forward::ForwardService forwards_;
    Dataplane dataplane_;
    DaemonHandler handler_;
    // After the handler and the dataplane, destroyed before them: its queued tasks (run by
    // its destructor) use both.
    SerialExecutor executor_;
    SignalReader signals_;
    std::unique_ptr<control::ControlServer> server_;
    bool stopping_ = false;
    int failure_status_ = 1;

    // On the reconfiguration thread.
    Config running_config() {
        Config running;
        {
            std::lock_guard guard(config_lock_);
            running.daemon = config_.daemon;
            running.stack = config_.stack;
        }
        running.stack.forwarding = dataplane_.forwarding();
        for (const auto& i : dataplane_.interfaces())
            if (!i.loopback) running.interfaces.push_back(i.spec);  // lo: [daemon] loopback
        running.routes = dataplane_.routes();
        running.services = dataplane_.services();
        running.forwards = forwards_.specs();
        running.file = config_.file;
        return running;
    }

    void wait_for_signal() {
        signals_.async_wait([this](SignalReader::Received received) {
            const std::string from = fmt::format("{} from pid {}",
                                                 received.signal == SIGHUP    ? "SIGHUP"
                                                 : received.signal == SIGTERM ? "SIGTERM"
                                                                              : "SIGINT",
                                                 received.sender);
            if (received.signal == SIGHUP) {
                if (!stopping_) reload(from);
            } else {
                stop(from);
            }
            wait_for_signal();  // a second SIGTERM ends the drain
        });
    }

    void stop(const std::string& from) {
        if (stopping_) {
            spdlog::info("{} again: ending the drain now", from);
            server_->end_grace();
            return;
        }
        stopping_ = true;
        spdlog::info("{}: stopping (no new requests; those in flight may run {} ms)", from,
                     config_.daemon.drain_ms);
        notify_systemd("STOPPING=1");
        server_->stop([this] { io_.stop(); });
    }

    void reload(const std::string& from) {
        if (!config_.file) {
            spdlog::warn("{}: started without --config, nothing to reload", from);
            return;
        }
        notify_systemd("RELOADING=1");
        spdlog::info("{}: reloading {}", from, *config_.file);
        executor_.post([this, file = *config_.file] {
            try {
                const auto next = load_config_file(file, overrides_);
                for (const auto& what : restart_only_differences(config_, next))
                    spdlog::warn("reload: {} changed; it takes effect at the next start", what);
                for (const auto& what : runtime_changes_undone(file_, dataplane_, forwards_, next))
                    spdlog::info("reload: the file wins: undoing {} (set at run time)", what);
                const auto report = apply_config(dataplane_, forwards_, next);
                file_ = next;
                log_report(report);
                if (report.changes.empty() && report.errors.empty())
                    spdlog::info("reload: nothing changed");
                std::lock_guard guard(config_lock_);
                config_.daemon.log_level = next.daemon.log_level;
                spdlog::set_level(spdlog::level::from_str(next.daemon.log_level));
            } catch (const ConfigError& e) {
                spdlog::error("reload: {}; keeping the running configuration", e.what());
            } catch (const std::exception& e) {
                spdlog::error("reload failed: {}", e.what());
            }
            notify_systemd("READY=1");
        });
    }
};

}  // namespace

namespace {

// SIGINT, SIGTERM and SIGHUP are read from a signalfd by the control thread (SignalReader):
// blocked in every thread (threads inherit the mask of the one that starts them), so a
// repeated SIGTERM during the tear-down stays pending instead of killing the process with its
// default action.
void block_control_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        sigaddset(&set, sig);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Every forwarded connection and every test process's socket holds a descriptor: the soft
// limit (often 1024) goes up to the hard one, as servers do.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
        spdlog::warn("cannot raise the descriptor limit: {}", std::strerror(errno));
}

}  // namespace

int run_daemon(Config config, CommandLineOverrides overrides) {
    block_control_signals();
    raise_descriptor_limit();
    std::unique_ptr<Daemon> daemon;
    try {
        daemon = std::make_unique<Daemon>(std::move(config), std::move(overrides));
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }
    bool started = false;
    try {
        started = daemon->start();
    } catch (const std::exception& e) {  // the workers would not stop to take the interfaces
        spdlog::critical("cannot start: {}", e.what());
    }
    if (!started) {
        daemon->tear_down();
        return daemon->failure_status();
    }
    daemon->run();
    daemon->tear_down();
    return 0;
}

}  // namespace shmifd
