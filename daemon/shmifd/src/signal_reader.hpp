// SIGINT, SIGTERM and SIGHUP for the daemon's control thread, read from a signalfd on its
// io_context, so that each comes with the pid of its sender (a reload is logged with who
// asked for it, as changes through the socket are). The signals must be blocked in every
// thread, which run_daemon does before any thread starts.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <initializer_list>

namespace shmifd {

class SignalReader {
  public:
    struct Received {
        int signal = 0;
        pid_t sender = 0;  // 0 when the kernel sent it (e.g. a terminal's Ctrl-C)
    };

    // Throws std::system_error when no signalfd can be made.
    SignalReader(boost::asio::io_context& io, std::initializer_list<int> signals);
    // `handler` runs on the io_context for the next signal; call again for the one after.
    void async_wait(std::function<void(Received)> handler);

  private:
    boost::asio::posix::stream_descriptor fd_;
    signalfd_siginfo info_{};
};

}  // namespace shmifd
