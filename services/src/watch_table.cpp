#include "services/watch_table.hpp"

namespace services {

void WatchTable::watch(netstack::SocketId socket, std::function<void()> on_event) {
    watchers_[socket] = std::move(on_event);
}

void WatchTable::unwatch(netstack::SocketId socket) {
    watchers_.erase(socket);
}

void WatchTable::deliver(netstack::Stack& stack) {
    for (int pass = 0; pass < 4; ++pass) {
        stack.take_events(events_);
        if (events_.empty()) return;
        for (const auto& event : events_) {
            auto it = watchers_.find(event.socket);
            if (it == watchers_.end()) continue;
            auto fn = it->second;  // the callback may unwatch itself
            fn();
        }
    }
}

}  // namespace services
