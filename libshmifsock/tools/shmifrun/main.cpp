// shmifrun [-s SOCKET] [--] PROGRAM [ARGS...] (or --help, --version): runs PROGRAM with its AF_INET
// sockets in shmifd's stack, through the LD_PRELOAD shim libshmifrun.so over libshmifsock.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "shim_locator.hpp"
#include "shmifd/control/socket_path.hpp"
#include "shmifd/version.hpp"
#include "shmifsock.h"

namespace {

constexpr const char* kHelp = R"(Usage: shmifrun [-s SOCKET] [--] PROGRAM [ARGS...]

Runs PROGRAM (found in PATH) with its IP sockets (AF_INET and AF_INET6, TCP and UDP) in the
stack of a running shmifd, so that an unmodified program talks on the virtual network without
root. AF_INET6 sockets are dual-stack as on Linux: IPv4 peers are ::ffff:a.b.c.d, so a server
on [::] takes IPv4 clients and curl http://[::ffff:10.0.0.2]/ works (SHMIFRUN_INET6=kernel
leaves them to the kernel); every other family (Unix, netlink...) stays with the kernel.
Children and programs it executes inherit this.

Options:
  -s, --socket SOCKET  shmifd's control socket (default: $SHMIFSOCK_SOCKET, else
                       $SHMIFD_SOCKET, else $XDG_RUNTIME_DIR/shmif/shmifd.sock, else
                       /run/shmif/shmifd.sock)
  -h, --help           this text
  -V, --version        print the version and exit

What works: blocking and non-blocking sockets, connect completed through poll/epoll and
SO_ERROR, select/poll/epoll on any mix of descriptors, fork with shared sockets, dup/dup2,
close-on-exec, shutdown (half-close), the usual socket options. Each virtual socket is a real
descriptor, so reads and writes on it are ordinary system calls.

What cannot work: shmifrun works by LD_PRELOAD, so it only sees programs that call the C
library's socket functions dynamically. Statically linked binaries, and programs that make
the system calls themselves (Go's net package, some runtimes), keep using the host's network.
For those, use port forwarding or put the kernel on the bus with shmiftap.
Names are not resolved on the virtual network (no DNS there): use addresses or /etc/hosts.
ioctl(FIONREAD) on a UDP socket counts 24 bytes of framing per datagram.

Exit status: PROGRAM's; 1 when the daemon does not answer; 2 on a usage error; 126/127 when
PROGRAM cannot be run.

Environment:
  SHMIFRUN_DEBUG=1     log the shim's decisions on stderr
  SHMIFRUN_SHIM=PATH   the shim library, instead of the one installed with shmifrun
  SHMIFRUN_INET6=kernel
                       leave AF_INET6 sockets to the kernel
  SHMIFSOCK_SOCKET, SHMIFD_SOCKET, XDG_RUNTIME_DIR
                       the control socket when -s is not given (see -s)
)";

int usage_error(const char* message) {
    std::fprintf(stderr, "shmifrun: %s\nTry 'shmifrun --help'.\n", message);
    return 2;
}

std::string with_shim(const char* existing, const std::string& shim) {
    if (existing == nullptr || *existing == '\0') return shim;
    return std::string(existing) + ":" + shim;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path;
    int next = 1;
    for (; next < argc; ++next) {
        const std::string_view arg = argv[next];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kHelp, stdout);
            return 0;
        }
        if (arg == "-V" || arg == "--version") {
            std::printf("shmifrun %s\n", SHMIFD_VERSION);
            return 0;
        }
        if (arg == "-s" || arg == "--socket") {
            if (++next >= argc) return usage_error("-s needs a SOCKET");
            socket_path = argv[next];
        } else if (arg.starts_with("--socket=")) {
            socket_path = arg.substr(std::strlen("--socket="));
        } else if (arg == "--") {
            ++next;
            break;
        } else if (arg.starts_with("-") && arg != "-") {
            return usage_error(("unknown option " + std::string(arg)).c_str());
        } else {
            break;
        }
    }
    if (next >= argc) return usage_error("no PROGRAM given");

    if (socket_path.empty()) {
        const char* from_env = std::getenv("SHMIFSOCK_SOCKET");
        socket_path =
            from_env && *from_env ? from_env : shmifd::control::default_socket_path().string();
    }
    socket_path = std::filesystem::absolute(socket_path).string();  // PROGRAM may chdir

    shmifsock_session* session = shmifsock_connect(socket_path.c_str());
    if (session == nullptr) {
        std::fprintf(stderr, "shmifrun: shmifd does not answer on %s: %s\n", socket_path.c_str(),
                     errno == EPROTO ? "not a shmifd control socket" : std::strerror(errno));
        return 1;
    }
    shmifsock_close_session(session);

    std::error_code error;
    const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
    const auto shim = shmifrun::locate_shim(error ? std::filesystem::path(argv[0]) : executable,
                                            SHMIFRUN_RELATIVE_LIBDIR);
    if (!shim) {
        std::fprintf(stderr, "shmifrun: libshmifrun.so not found beside %s (set SHMIFRUN_SHIM)\n",
                     executable.c_str());
        return 1;
    }
    const auto preload = with_shim(std::getenv("LD_PRELOAD"), shim->string());
    if (setenv("LD_PRELOAD", preload.c_str(), 1) != 0 ||
        setenv("SHMIFSOCK_SOCKET", socket_path.c_str(), 1) != 0) {
        std::perror("shmifrun: setenv");
        return 1;
    }
    execvp(argv[next], argv + next);
    const int failure = errno;
    std::fprintf(stderr, "shmifrun: %s: %s\n", argv[next], std::strerror(failure));
    return failure == ENOENT ? 127 : 126;
}
