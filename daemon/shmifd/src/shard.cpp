#include "shard.hpp"

#include <algorithm>
#include <chrono>

namespace shmifd {

Shard::Shard(const netstack::StackConfig& config, std::size_t index)
    : index_(index),
      name_("shard" + std::to_string(index)),
      stack_(config),
      services_(std::make_unique<services::ServiceHost>(
          stack_, watches_, [] { return std::chrono::steady_clock::now(); })),
      sockets_(std::make_unique<sockets::ShardSockets>(*this, index)),
      forwards_(std::make_unique<forward::ShardForwards>(*this, sockets_->reactor())) {}

Shard::~Shard() {
    cancel_jobs();
    forwards_.reset();  // forwarded connections are reset, both sides
    sockets_.reset();   // test processes' connections are reset
    services_.reset();  // its connections are aborted while the interfaces still exist
    // Interfaces go before their links (the stack borrows the devices).
    for (const auto& link : links_)
        (void)stack_.remove_interface(link->id);
}

std::expected<netstack::InterfaceId, netstack::ConfigError> Shard::attach(
    std::unique_ptr<ShardLink> link, const netstack::InterfaceConfig& config) {
    auto id = stack_.add_interface(config, link->stack_device());
    if (!id) return id;
    link->id = *id;
    links_.push_back(std::move(link));
    return id;
}

void Shard::detach(const std::string& name) {
    auto it = std::find_if(links_.begin(), links_.end(),
                           [&](const auto& l) { return l->name() == name; });
    if (it == links_.end()) return;
    (void)stack_.remove_interface((*it)->id);
    links_.erase(it);
}

ShardLink* Shard::link(const std::string& name) {
    for (const auto& l : links_)
        if (l->name() == name) return l.get();
    return nullptr;
}

std::string Shard::interface_name(netstack::InterfaceId id) const {
    for (const auto& l : links_)
        if (l->id == id) return l->name();
    return "?";
}

void Shard::watch(netstack::SocketId socket, std::function<void()> on_event) {
    watches_.watch(socket, std::move(on_event));
}

void Shard::unwatch(netstack::SocketId socket) {
    watches_.unwatch(socket);
}

void Shard::start_job(std::shared_ptr<ShardJob> job) {
    jobs_.push_back(std::move(job));
}

void Shard::finish_job(const ShardJob* job) {
    std::erase_if(jobs_, [&](const auto& j) { return j.get() == job; });
}

void Shard::cancel_jobs() {
    // cancel() finishes the job, which removes it from jobs_: work on a copy.
    auto running = jobs_;
    for (const auto& job : running)
        job->cancel();
    jobs_.clear();
}

void Shard::service(netstack::Instant now) {
    if (auto at = stack_.poll_at(); at && *at <= now) stack_.poll(now);
    // Socket sends may leave frames batched in the devices: push them out now.
    for (const auto& link : links_)
        link->stack_device().flush();
    watches_.deliver(stack_);
}

std::size_t Shard::poll(std::size_t budget) {
    std::size_t work = commands_.poll(budget);
    work += timers_.poll(budget);
    work += sockets_->poll();
    work += forwards_->poll();
    const auto now = std::chrono::steady_clock::now();
    // Frames another shard owns are read but are not work: a worker whose flows are quiet
    // must not spin on its neighbours' traffic (on two vCPUs that spin takes a busy CPU).
    const std::uint64_t foreign_before = frames_for_other_shards();
    std::uint64_t seen = 0;  // frames the cursors passed, their own sender's included
    std::size_t frames = 0;
    for (const auto& link : links_) {
        const std::uint64_t seen_before = link->frames_seen();
        frames += netstack::feed_stack(link->receive(budget, now, stack_), stack_, link->id,
                                       link->stack_device(), now);
        seen += link->frames_seen() - seen_before;
        work += link->stack_device().release(now);  // egress frames held until now
    }
    const std::size_t own =
        frames - std::min<std::uint64_t>(frames, frames_for_other_shards() - foreign_before);
    work += own;
    // Counts toward napping (see arm()) while the bus carries only other shards' frames;
    // a nap after which the bus has nothing new ends it.
    if (own != 0 || (seen == 0 && napped_))
        quiet_polls_ = 0;
    else if (seen != 0 && quiet_polls_ < kQuietPollsBeforeNap)
        ++quiet_polls_;
    napped_ = false;
    if (auto at = stack_.poll_at(); at && *at <= now) {
        stack_.poll(now);
        ++work;
    }
    watches_.deliver(stack_);
    if (index_ == 0) conflicts_.poll(stack_, [this](auto id) { return interface_name(id); });
    // What the socket callbacks sent (services answering) is still batched in the devices.
    for (const auto& link : links_)
        link->stack_device().flush();
    return work;
}

std::uint64_t Shard::frames_for_other_shards() const {
    const auto& stats = stack_.stats();
    return stats.ipv4.drop_not_owner + stats.ipv6.drop_not_owner + stats.tcp.drop_not_owner;
}

bool Shard::arm(engine::WaitSet& set) {
    if (!commands_.arm(set) || !timers_.arm(set)) return false;
    const auto now = std::chrono::steady_clock::now();
    if (auto at = stack_.poll_at()) {
        if (*at <= now) return false;
        set.wake_at(*at);
    }
    // Napping: every frame on the bus wakes every worker, and one whose flows are quiet
    // while its neighbours stream would wake tens of thousands of times a second for
    // nothing, taking a CPU they need. So after kQuietPollsBeforeNap polls in a row found
    // only other shards' frames, it sleeps without waiting on the bus and reads what came
    // every kNap: a frame of its own waits at most that long; silence ends the napping.
    const bool nap = quiet_polls_ >= kQuietPollsBeforeNap;
    if (nap) set.wake_at(now + kNap);
    for (const auto& link : links_) {
        // Frames an impairment holds wake the worker when they are due.
        if (auto due = link->next_due()) {
            if (*due <= std::chrono::steady_clock::now()) {
                disarm();
                return false;
            }
            set.wake_at(*due);
        }
        if (nap) {
            if (link->pending()) return false;
            continue;
        }
        shmif::Cursor::WaitSpec spec;
        if (!link->arm(spec)) {
            disarm();
            return false;
        }
        if (spec.futex != nullptr) set.add_futex(spec.futex, spec.expected, /*shared=*/true);
        if (spec.fd >= 0) set.add_fd(spec.fd);
    }
    // The sockets' and forwards' descriptors: in the worker's own wait when it can wait on
    // fds and futexes at once, else through the socket service's waker thread, which rings
    // the worker (one more thread to wake).
    if (set.joint())
        set.add_fd(sockets_->reactor().fd());
    else
        sockets_->arm();
    napped_ = nap;
    return true;
}

void Shard::disarm() {
    for (const auto& link : links_)
        link->disarm();
}

}  // namespace shmifd
