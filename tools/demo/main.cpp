// shmif-demo: N real processes on one shmif bus, each sending M Ethernet frames and reading
// everyone else's; the parent checks that every process saw every other process's frames.
//
// The parent creates the bus, forks the peers (each attaches to the bus by path, as
// unrelated programs would), starts them together once all are following the bus, reaps
// them, and prints what each saw and the bus statistics. Every wait is bounded; a peer that
// overstays is killed. Exit status: 0 when everything arrived, 1 otherwise, 2 usage error,
// 130 interrupted (SIGINT/SIGTERM: the peers are killed and reaped, the bus file removed).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ethernet.hpp"
#include "peer.hpp"
#include "report.hpp"
#include "shmif/bus.hpp"
#include "units.hpp"
#include "version_flag.hpp"

namespace demo {
namespace {

using clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) {
    g_interrupted = 1;
}

struct Options {
    unsigned procs = 3;
    std::uint64_t frames = 1000;
    std::size_t frame_len = 128;
    std::string format = "native";
    std::string bus;
    std::uint64_t size = 0;  // native bus file size; 0 = the library's default
    bool keep = false;
    double timeout_s = 30;
    double idle_s = 2;
};

struct Child {
    unsigned index = 0;
    pid_t pid = -1;
    int result_fd = -1;
    int status = 0;
    bool reaped = false;
    bool killed = false;  // by us, at the deadline
    PeerReport report;
    std::vector<PeerSeen> seen;
    bool report_ok = false;
};

std::string default_bus_path() {
    std::string dir = "/dev/shm";
    struct ::stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(dir.c_str(), W_OK) != 0) {
        const char* tmp = std::getenv("TMPDIR");
        dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    return fmt::format("{}/shmif-demo-{}.bus", dir, ::getpid());
}

bool read_all(int fd, void* data, std::size_t len) {
    auto* p = static_cast<char*>(data);
    while (len > 0) {
        const ssize_t n = ::read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return true;
}

// Counts ready bytes until `want` arrived, every writer closed, or the deadline.
unsigned wait_ready(int fd, unsigned want, clock::time_point deadline) {
    unsigned got = 0;
    while (got < want && g_interrupted == 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) break;
        ::pollfd pfd{fd, POLLIN, 0};
        const int r = ::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 100)));
        if (r <= 0) continue;
        char buf[kMaxProcs];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;  // every peer has closed its end (ready or dead)
        if (n > 0) got += static_cast<unsigned>(n);
    }
    return got;
}

// Reaps every child, killing those still running at the deadline (or on Ctrl-C).
void reap_all(std::vector<Child>& children, clock::time_point deadline) {
    for (;;) {
        bool running = false;
        for (auto& c : children) {
            if (c.reaped) continue;
            const pid_t r = ::waitpid(c.pid, &c.status, WNOHANG);
            if (r == c.pid) {
                c.reaped = true;
            } else {
                running = true;
            }
        }
        if (!running) return;
        if (clock::now() >= deadline || g_interrupted != 0) {
            for (auto& c : children) {
                if (c.reaped) continue;
                ::kill(c.pid, SIGKILL);
                c.killed = true;
                ::waitpid(c.pid, &c.status, 0);  // prompt after SIGKILL
                c.reaped = true;
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string exit_text(const Child& c) {
    if (c.killed)
        return g_interrupted != 0 ? "killed after the interrupt" : "killed at the deadline";
    if (WIFEXITED(c.status)) return fmt::format("exit {}", WEXITSTATUS(c.status));
    if (WIFSIGNALED(c.status)) return fmt::format("killed by signal {}", WTERMSIG(c.status));
    return "ended oddly";
}

std::string seq_range(const PeerSeen& s) {
    if (s.received == 0) return "none";
    return fmt::format("seq {}..{}", s.first, s.last);
}

// Prints one peer's report; appends what differed from the expectation to `problems`.
void print_child(const Options& opt, const Child& c, bool netbsd,
                 std::vector<std::string>& problems) {
    const std::size_t problems_before = problems.size();
    const unsigned idx = c.index;
    if (!c.report_ok) {
        fmt::print("process {} (pid {}): no report ({})\n", idx + 1, c.pid, exit_text(c));
        problems.push_back(fmt::format("process {} sent no report ({})", idx + 1, exit_text(c)));
        return;
    }
    const PeerReport& r = c.report;
    fmt::print("process {} (pid {}, mac {}): sent {}, received {} in {:.3f} s{}\n", idx + 1, r.pid,
               peer_mac(idx).str(), r.sent, r.received, r.seconds,
               r.error[0] != '\0' ? fmt::format(" [{}]", r.error) : "");
    for (const auto& s : c.seen) {
        if (s.peer == idx) continue;
        const std::uint64_t lost = opt.frames - std::min(opt.frames, s.distinct);
        std::string extra;
        if (s.duplicates) extra += fmt::format(", {} duplicates", s.duplicates);
        if (s.reordered) extra += fmt::format(", {} out of order", s.reordered);
        if (s.bad_seq) extra += fmt::format(", {} bad seq", s.bad_seq);
        if (s.wrong_sender) extra += fmt::format(", {} wrong sender id/MAC", s.wrong_sender);
        fmt::print("    from process {}: {:>6} frames, {}, lost {}{}\n", s.peer + 1, s.distinct,
                   seq_range(s), lost, extra);
        if (s.distinct != opt.frames)
            problems.push_back(fmt::format("process {} got {} of process {}'s {} frames", idx + 1,
                                           s.distinct, s.peer + 1, opt.frames));
        if (s.duplicates || s.bad_seq || s.wrong_sender)
            problems.push_back(fmt::format("process {} saw bad frames from process {}{}", idx + 1,
                                           s.peer + 1, extra));
    }
    fmt::print("    cursor: overruns {}, lost {} {}, own frames skipped {}, corrupt {}", r.overruns,
               netbsd ? r.lost_bytes : r.lost_frames, netbsd ? "bytes" : "frames", r.skipped_own,
               r.corrupt);
    if (r.own_seen) fmt::print(", OWN FRAMES DELIVERED {}", r.own_seen);
    if (r.foreign) fmt::print(", other traffic {}", r.foreign);
    if (r.torn) fmt::print(", torn {}", r.torn);
    fmt::print("\n");
    if (r.sent != opt.frames)
        problems.push_back(fmt::format("process {} sent {} of {} frames ({} send errors)", idx + 1,
                                       r.sent, opt.frames, r.send_errors));
    if (r.own_seen)
        problems.push_back(fmt::format("process {} was handed its own frames", idx + 1));
    if (r.torn) problems.push_back(fmt::format("process {} saw {} torn frames", idx + 1, r.torn));
    if (r.timed_out) problems.push_back(fmt::format("process {} timed out", idx + 1));
    if (!r.started && r.attached)
        problems.push_back(fmt::format("process {} never started", idx + 1));
    if (r.error[0] != '\0' && !r.attached)
        problems.push_back(fmt::format("process {}: {}", idx + 1, r.error));
    if (!(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) && problems.size() == problems_before)
        problems.push_back(fmt::format("process {} failed ({})", idx + 1, exit_text(c)));
}

int run(const Options& opt) {
    const bool keep_file = opt.keep;
    const std::string path = opt.bus.empty() ? default_bus_path() : opt.bus;
    struct ::stat st {};
    const bool existed = ::stat(path.c_str(), &st) == 0;

    shmif::CreateOptions copts;
    copts.format = *shmif::parse_format(opt.format);
    copts.size = opt.size;
    auto bus = shmif::Bus::create(path, copts);
    if (!bus) {
        if (bus.error().code == shmif::Errc::invalid_argument) {
            fmt::print(stderr,
                       "shmif-demo: --size out of range: a native bus is a 4 KiB header plus a "
                       "ring of 64 KiB to 4 GiB (a multiple of 8); a NetBSD bus is always 1 MiB\n");
            return 2;
        }
        fmt::print(stderr, "shmif-demo: {}: {}\n", path, shmif::describe(bus.error()));
        return 1;
    }
    // A bus file we made goes away on every return path, unless --keep.
    struct RemoveOnReturn {
        const std::string* path;
        bool active;
        ~RemoveOnReturn() {
            if (active) ::unlink(path->c_str());
        }
    } remove_on_return{&path, !existed && !keep_file};
    const bool netbsd = bus->format() == shmif::Format::netbsd;
    if (opt.frame_len > bus->max_frame()) {
        fmt::print(stderr, "shmif-demo: --frame-len {} is larger than the bus allows ({})\n",
                   opt.frame_len, bus->max_frame());
        return 2;
    }

    fmt::print("bus {} ({} format, {}): {} processes x {} frames of {} bytes\n", path,
               shmif::format_name(bus->format()), existed ? "existing" : "created", opt.procs,
               opt.frames, opt.frame_len);

    struct ::sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    int ready[2], go[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0) {
        fmt::print(stderr, "shmif-demo: pipe: {}\n", std::strerror(errno));
        return 1;
    }
    const auto timeout = std::chrono::milliseconds(static_cast<long>(opt.timeout_s * 1000));
    const auto idle = std::chrono::milliseconds(static_cast<long>(opt.idle_s * 1000));

    std::vector<Child> children(opt.procs);
    std::fflush(stdout);
    for (unsigned i = 0; i < opt.procs; ++i) {
        int result[2];
        if (::pipe2(result, O_CLOEXEC) != 0) {
            fmt::print(stderr, "shmif-demo: pipe: {}\n", std::strerror(errno));
            break;
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::signal(SIGINT, SIG_DFL);
            ::signal(SIGTERM, SIG_DFL);
            ::close(ready[0]);
            ::close(go[1]);  // else the start pipe would never reach EOF
            ::close(result[0]);
            PeerConfig cfg{path,    i,    opt.procs, opt.frames, opt.frame_len,
                           timeout, idle, ready[1],  go[0],      result[1]};
            const int status = run_peer(cfg);
            std::fflush(nullptr);
            ::_exit(status);  // no destructors of the parent's objects in the child
        }
        ::close(result[1]);
        if (pid < 0) {
            fmt::print(stderr, "shmif-demo: fork: {}\n", std::strerror(errno));
            ::close(result[0]);
            break;
        }
        children[i].index = i;
        children[i].pid = pid;
        children[i].result_fd = result[0];
    }
    std::erase_if(children, [](const Child& c) { return c.pid < 0; });
    ::close(ready[1]);

    // Start everyone together, once all follow the bus (or after 10 s, whoever is there).
    const unsigned n_ready = wait_ready(ready[0], static_cast<unsigned>(children.size()),
                                        clock::now() + std::chrono::seconds(10));
    ::close(ready[0]);
    if (n_ready != children.size())
        fmt::print(stderr, "shmif-demo: only {} of {} processes attached in time\n", n_ready,
                   children.size());
    ::close(go[1]);  // go

    reap_all(children, clock::now() + timeout + std::chrono::seconds(10));
    for (auto& c : children) {
        c.seen.resize(opt.procs);
        c.report_ok = read_all(c.result_fd, &c.report, sizeof c.report);
        for (auto& s : c.seen)
            c.report_ok = c.report_ok && read_all(c.result_fd, &s, sizeof s);
        ::close(c.result_fd);
    }

    fmt::print("\n");
    std::vector<std::string> problems;
    if (children.size() != opt.procs)
        problems.push_back(
            fmt::format("only {} of {} processes started", children.size(), opt.procs));
    std::uint64_t overruns = 0;
    for (const auto& c : children) {
        print_child(opt, c, netbsd, problems);
        if (c.report_ok) overruns += c.report.overruns;
    }

    fmt::print("\nbus statistics:\n{}", shmifbus::info_text(path, bus->info(), "    "));
    fmt::print("\n");
    const bool ok = problems.empty() && g_interrupted == 0;
    if (ok) {
        fmt::print("every process saw every other process's {} frames: OK\n", opt.frames);
    } else {
        if (g_interrupted != 0) problems.insert(problems.begin(), "interrupted");
        constexpr std::size_t kShown = 4;
        fmt::print("FAILED: ");
        for (std::size_t i = 0; i < std::min(problems.size(), kShown); ++i)
            fmt::print("{}{}", i ? "; " : "", problems[i]);
        if (problems.size() > kShown) fmt::print("; and {} more", problems.size() - kShown);
        fmt::print("\n");
        if (overruns > 0)
            fmt::print(
                "(readers were lapped {} times: frames were overwritten before they were "
                "read; a larger bus (--size) or fewer frames avoids it)\n",
                overruns);
    }
    if (keep_file) {
        fmt::print("bus kept: {}\n", path);
    }
    if (g_interrupted != 0) return 130;
    return ok ? 0 : 1;
}

}  // namespace
}  // namespace demo

int main(int argc, char** argv) {
    demo::Options opt;
    CLI::App app{
        "shmif-demo: N processes exchange Ethernet frames over one shmif bus and check "
        "that each saw every frame the others sent.",
        "shmif-demo"};
    app.footer(
        "Each process attaches to the bus by path, sends its frames (broadcast, from its own MAC,\n"
        "payload = process index, pid, sequence number) and reads the bus with a cursor that\n"
        "skips its own sender id. Exit status 0 only if every process got every other process's\n"
        "frames exactly once.\n\n"
        "Examples:\n"
        "  shmif-demo                                           3 processes, 1000 frames each\n"
        "  shmif-demo --format netbsd --procs 4 --frames 5000   on a NetBSD-format bus\n"
        "  shmif-demo --bus /dev/shm/demo.bus --keep && shmifbus info /dev/shm/demo.bus\n"
        "                                                       look at the bus afterwards");
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return fmt::format("shmif-demo: {} (see --help)\n", e.what());
    });
    shmif::tool::add_version_flag(app);
    app.add_option("--procs,-n", opt.procs, "Processes to fork")
        ->check(CLI::Range(2u, demo::kMaxProcs))
        ->capture_default_str();
    app.add_option("--frames,-m", opt.frames, "Frames each process sends")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}))
        ->capture_default_str();
    app.add_option("--frame-len", opt.frame_len, "Bytes per Ethernet frame (no FCS)")
        ->check(CLI::Range(demo::kMinFrame, demo::kMaxFrame))
        ->capture_default_str();
    app.add_option("--format", opt.format, "Bus format for a new bus: native or netbsd")
        ->check(CLI::IsMember({"native", "netbsd"}))
        ->capture_default_str();
    app.add_option("--bus", opt.bus,
                   "Bus file (default: a fresh file in /dev/shm, or $TMPDIR, removed at the end)");
    app.add_option("--size", opt.size,
                   "Size of a new native bus file, K/M/G suffixes allowed (default 2 MiB ring + "
                   "4 KiB header; a NetBSD bus is always 1 MiB)")
        ->transform(CLI::Validator(
            [](std::string& text) -> std::string {
                auto value = shmifbus::parse_size(text);
                if (!value) return fmt::format("invalid size '{}': {}", text, value.error());
                text = std::to_string(*value);
                return {};
            },
            "SIZE[K|M|G]"));
    app.add_flag("--keep", opt.keep, "Keep the bus file at the end");
    app.add_option("--timeout", opt.timeout_s, "Seconds each process may take in all")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    app.add_option("--idle", opt.idle_s,
                   "Seconds of silence after which a process that has sent everything stops "
                   "waiting for missing frames")
        ->check(CLI::Range(0.01, 600.0))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    return demo::run(opt);
}
