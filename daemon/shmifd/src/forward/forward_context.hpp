// Every shard's part of port forwarding, and a way to run work on any of them (an acceptor
// hands a host connection to a shard that carries fewer connections than its own).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "shmifd/engine/command_queue.hpp"

namespace shmifd::forward {

class ShardForwards;

struct ForwardContext {
    std::vector<engine::CommandQueue::Poster> posters;  // by shard index
    std::vector<ShardForwards*> shards;                 // by shard index

    // Runs fn on shard i's thread (false once that shard is gone).
    bool post(std::size_t shard, std::function<void(ShardForwards&)> fn) const;
};

}  // namespace shmifd::forward
