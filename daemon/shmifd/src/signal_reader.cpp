#include "signal_reader.hpp"

#include <boost/asio/buffer.hpp>

#include <cerrno>
#include <csignal>
#include <system_error>

namespace shmifd {

SignalReader::SignalReader(boost::asio::io_context& io, std::initializer_list<int> signals)
    : fd_(io) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals)
        sigaddset(&set, s);
    const int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
    fd_.assign(fd);
}

void SignalReader::async_wait(std::function<void(Received)> handler) {
    fd_.async_read_some(boost::asio::buffer(&info_, sizeof info_),
                        [this, handler = std::move(handler)](const boost::system::error_code& error,
                                                             std::size_t n) mutable {
                            if (error) return;  // closed: the daemon is going away
                            if (n != sizeof info_) return async_wait(std::move(handler));
                            handler(Received{.signal = static_cast<int>(info_.ssi_signo),
                                             .sender = static_cast<pid_t>(info_.ssi_pid)});
                        });
}

}  // namespace shmifd
