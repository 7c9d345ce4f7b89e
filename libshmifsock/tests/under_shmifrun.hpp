// The fixture of the tests that run unmodified programs under shmifrun between two real
// daemons (DaemonPair): each program against its own daemon, every wait bounded.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "daemon_pair.hpp"

namespace shmifsock::test {

using namespace std::chrono_literals;
using shmifd::test::read_file;
using shmifd::test::spawn;
using shmifd::test::wait_exit;
using shmifd::test::write_text_file;

constexpr const char* kPython = "/usr/bin/python3";

inline bool installed(const char* program) {
    return ::access(program, X_OK) == 0;
}

inline std::string pattern(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
    return data;
}

class UnderShmifrun : public DaemonPair {
  protected:
    void SetUp() override {
#ifdef SHMIFRUN_SANITIZED
        GTEST_SKIP() << "a sanitized shim cannot be preloaded into uninstrumented programs";
#endif
        DaemonPair::SetUp();
    }

    // `command` (run by /bin/sh, so it may redirect) under shmifrun against `daemon`.
    pid_t run(DaemonProcess& daemon, const std::string& command, const std::string& log) {
        return spawn({SHMIFRUN_BIN, "-s", daemon.socket(), "--", "/bin/sh", "-c", command},
                     dir.file(log));
    }

    // The exit status of `pid` within `timeout`; the test fails (and the process is killed)
    // when it does not end.
    std::optional<int> finish(pid_t pid, std::chrono::milliseconds timeout = 30s) {
        const auto status = wait_exit(pid, timeout);
        if (!status) {
            ::kill(pid, SIGKILL);
            wait_exit(pid, 5s);
        }
        return status;
    }

    // python3 -m http.server on `daemon` bound to `bind`, serving `body` as /blob from its own
    // folder.
    pid_t serve_http(DaemonProcess& daemon, int port, const std::string& body,
                     const std::string& bind = "0.0.0.0") {
        const auto www = dir.file("www" + std::to_string(port));
        std::filesystem::create_directory(www);
        write_text_file(www + "/blob", body);
        const auto log = "http" + std::to_string(port) + ".log";
        const auto pid = run(daemon,
                             std::string("exec ") + kPython + " -m http.server " +
                                 std::to_string(port) + " --bind " + bind + " --directory " + www,
                             log);
        EXPECT_TRUE(wait_listening(daemon, port)) << read_file(dir.file(log));
        return pid;
    }
    void stop(pid_t pid) {
        ::kill(pid, SIGTERM);
        finish(pid, 10s);
    }

    // A python3 UDP socket of `family` (AF_INET or AF_INET6) on daemon a, connected to
    // `address`:`port` where nothing listens, sends once; the ICMP or ICMPv6 port unreachable
    // must reach its recv as ConnectionRefusedError, as Linux reports it.
    void expect_connected_udp_refused(const std::string& family, const std::string& address,
                                      int port) {
        const std::string script = dir.file("udp_refused_" + family + ".py");
        write_text_file(script,
                        "import socket, sys\n"
                        "s = socket.socket(socket." +
                            family +
                            ", socket.SOCK_DGRAM)\n"
                            "s.settimeout(10)\n"
                            "s.connect(('" +
                            address + "', " + std::to_string(port) +
                            "))\n"
                            "s.send(b'anyone?')\n"
                            "try:\n"
                            "    print('recv returned', s.recv(100))\n"
                            "    sys.exit(1)\n"
                            "except ConnectionRefusedError:\n"
                            "    print('refused')\n");
        const std::string log = "udp-refused-" + family + ".log";
        const auto client = run(*a, std::string("exec ") + kPython + " " + script, log);
        EXPECT_EQ(finish(client), 0) << read_file(dir.file(log));
        EXPECT_EQ(read_file(dir.file(log)), "refused\n");
    }

    // A python server (the file `name`; its argument: the port) that accepts one connection,
    // reads a little and resets it (SO_LINGER 0).
    void write_reset_server(const std::string& name) {
        write_text_file(dir.file(name), R"(
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen()
c, _ = s.accept()
c.recv(10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
c.close()
)");
    }
};

}  // namespace shmifsock::test
