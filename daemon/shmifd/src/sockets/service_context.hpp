// What every shard's socket data path shares: the table of sockets and a way to run work on
// any shard (a listener on every shard, stopped by whichever shard sees its end hang up).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "option_lane.hpp"
#include "shmifd/engine/command_queue.hpp"
#include "socket_table.hpp"

namespace shmifd::sockets {

class ShardSockets;

struct ServiceContext {
    SocketTable& table;
    std::vector<engine::CommandQueue::Poster> posters;  // by shard index
    std::vector<ShardSockets*> shards;                  // by shard index
    mutable LaneCounters lanes{};  // counters: shards count through a const context

    // Runs fn on shard i's thread (false once that shard is gone).
    bool post(std::size_t shard, std::function<void(ShardSockets&)> fn) const;
};

}  // namespace shmifd::sockets
