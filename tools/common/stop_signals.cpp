#include "stop_signals.hpp"

#include <signal.h>

namespace shmif::tool {

std::atomic<int> stop_requested{0};

namespace {
extern "C" void on_stop_signal(int) {
    stop_requested.store(1, std::memory_order_relaxed);
}
}  // namespace

void install_stop_handlers() {
    struct ::sigaction sa {};
    sa.sa_handler = on_stop_signal;
    ::sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: see the header
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace shmif::tool
