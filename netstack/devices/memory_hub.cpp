// MemoryHub: a shared segment in memory. Rounds keep the order of a real hub: everything
// sent before a round is on the wire before anything sent in answer to it.
#include <utility>

#include "netstack/memory_device.hpp"

namespace netstack {

void MemoryHub::attach(Stack& stack, InterfaceId interface, MemoryDevice& device) {
    members_.push_back({&stack, interface, &device});
}

std::size_t MemoryHub::queued() const {
    std::size_t total = 0;
    for (const auto& member : members_)
        total += member.device->size();
    return total;
}

std::size_t MemoryHub::deliver(Instant now, std::size_t max_rounds) {
    std::size_t deliveries = 0;
    // (sender index, frame): taken from every member first, so frames a stack sends while
    // receiving this round wait for the next one.
    std::vector<std::pair<std::size_t, FrameBuffer>> wire;
    for (std::size_t round = 0; round < max_rounds; ++round) {
        wire.clear();
        for (std::size_t i = 0; i < members_.size(); ++i)
            for (auto& frame : members_[i].device->take_all())
                wire.emplace_back(i, std::move(frame));
        if (wire.empty()) break;
        for (const auto& [sender, frame] : wire) {
            for (std::size_t i = 0; i < members_.size(); ++i) {
                if (i == sender) continue;
                members_[i].stack->receive(members_[i].interface, frame, now);
                ++deliveries;
            }
        }
    }
    return deliveries;
}

}  // namespace netstack
