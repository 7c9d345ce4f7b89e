// Child processes for the integration tests: the peer helper (shmif-test-peer) spawned with
// chosen pipes on fixed descriptors, waited for with a deadline, and killed and reaped on
// every path (the destructor), so no test leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "payload.hpp"

namespace shmif::test {

// A pipe whose ends are close-on-exec; a Child gets them through explicit fd mappings.
struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe();
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read();
    void close_write();
};

class Child {
  public:
    // Runs the peer helper with `args`; fd_map pairs (parent fd, fd number in the child).
    static Child spawn_peer(const std::vector<std::string>& args,
                            const std::vector<std::pair<int, int>>& fd_map = {});
    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();  // SIGKILL and reap if still running

    pid_t pid() const { return pid_; }
    // Waits up to `timeout` for the child to end; true when it has (status() is then valid).
    bool wait_for(std::chrono::milliseconds timeout);
    void kill_and_reap();
    int status() const { return status_; }
    bool exited_ok() const;            // exited with status 0
    bool killed_by(int signal) const;  // ended by this signal

  private:
    pid_t pid_ = -1;
    int status_ = 0;
};

// Reads exactly n bytes from fd within timeout; false on EOF, error or timeout.
bool read_exact(int fd, void* buf, std::size_t n, std::chrono::milliseconds timeout);

// The report a peer wrote to `path` (nullopt if missing or short), with its records.
struct ReportFile {
    PeerReport report;
    std::vector<WriterSeq> records;
};
std::optional<ReportFile> read_report(const std::string& path);

// /proc/<pid>/stat state letter ('S' sleeping, 'R' running, ...), or 0.
char process_state(pid_t pid);

}  // namespace shmif::test
