// RFC 5227 in the daemon: an address is probed for before it is configured, and conflicts
// with configured addresses are logged.
//
// Probing: before an address goes onto an interface that is up (at start, on reload, by
// addr.add), the Dataplane posts an AddressProbeJob to shard 0's worker and waits for its
// answer (wait_for_probe) on the reconfiguration thread; only then is the address configured
// on every shard through stop_machine. A taken address is refused with address_in_use and a
// message naming the MAC that holds it. One shard probes for all: they share the interface's
// MAC, and a shard never reads back what its siblings send. [stack.arp] probe_wait_ms (100 by
// default; 0: no probing) is how long the job listens; netstack spreads probe_count probes
// over it.
// Conflicts found later are logged by conflict_log.hpp.
#pragma once

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "netstack/stack.hpp"
#include "shard.hpp"
#include "shmifd/control/handler.hpp"

namespace shmifd {

// The error a taken address is refused with.
control::CommandError address_in_use(netstack::Ipv4Address address, const std::string& interface,
                                     netstack::MacAddress holder);

class AddressProbeJob final : public ShardJob,
                              public std::enable_shared_from_this<AddressProbeJob> {
  public:
    // On the shard's worker: starts the stack's probe for `address` on `interface` and
    // answers `done` once probe_wait is over: {"free": true}, or address_in_use.
    static void start(Shard& shard, const std::string& interface, netstack::Ipv4Address address,
                      control::Done done);
    void cancel() override;

    AddressProbeJob(Shard& shard, std::string interface, netstack::InterfaceId id,
                    netstack::Ipv4Address address, control::Done done)
        : shard_(shard),
          interface_(std::move(interface)),
          id_(id),
          address_(address),
          done_(std::move(done)) {}

  private:
    Shard& shard_;
    std::string interface_;
    netstack::InterfaceId id_;
    netstack::Ipv4Address address_;
    control::Done done_;
    engine::TimerQueue::TimerId timer_ = 0;
    bool finished_ = false;

    void check();
    void finish(control::Result result);
};

// On the reconfiguration thread: `post` hands the Done to the job (on shard 0); waits for the
// answer, at most `wait` plus a margin for a busy worker.
std::expected<void, control::CommandError> wait_for_probe(
    const std::function<void(control::Done)>& post, std::chrono::milliseconds wait);

}  // namespace shmifd
