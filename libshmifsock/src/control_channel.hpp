// One connection to the daemon's control socket: request lines out, reply lines in, with the
// descriptors the daemon passes (SCM_RIGHTS on a reply's first byte) collected as they come.
// Blocking; interrupted calls are resumed (a request in flight must get its reply).
#pragma once

#include <sys/socket.h>

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace shmifsock {

struct ReplyLine {
    std::string text;           // without the '\n'
    std::vector<UniqueFd> fds;  // close-on-exec, in the order received
};

// Takes the descriptors of every SCM_RIGHTS message a recvmsg(2) received into `into`.
void collect_fds(msghdr& msg, std::vector<UniqueFd>& into);

class ControlChannel {
  public:
    // Connects to `path` (close-on-exec); errno of socket(2)/connect(2) on failure.
    static std::expected<ControlChannel, int> open(const std::string& path);
    // Adopts a connected stream socket (tests hand one end of a socketpair).
    explicit ControlChannel(UniqueFd fd) : fd_(std::move(fd)) {}

    // The whole line, '\n' included by the caller; EPIPE (or the errno of sendmsg) when the
    // daemon is gone. Never raises SIGPIPE.
    std::expected<void, int> send(std::string_view bytes);
    // The next line; ECONNRESET when the connection ends first, EPROTO when a line passes
    // kMaxLine.
    std::expected<ReplyLine, int> read_line();

    int native_handle() const { return fd_.get(); }
    // Forgets the descriptor without closing it: the program closed it behind our back (a
    // daemon-style loop closing every descriptor) and its number may be another file now.
    void abandon() { fd_.release(); }

    static constexpr std::size_t kMaxLine = 1 << 20;

  private:
    UniqueFd fd_;
    std::string buffer_;             // bytes read past the last line
    std::vector<UniqueFd> pending_;  // descriptors read with them
};

}  // namespace shmifsock
