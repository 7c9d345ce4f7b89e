#include "address_probe.hpp"

#include <future>

namespace shmifd {

control::CommandError address_in_use(netstack::Ipv4Address address, const std::string& interface,
                                     netstack::MacAddress holder) {
    return {"address_in_use",
            address.to_string() + " is in use on " + interface + " by " + holder.to_string()};
}

// --- probing ---------------------------------------------------------------------------------

void AddressProbeJob::start(Shard& shard, const std::string& interface,
                            netstack::Ipv4Address address, control::Done done) {
    auto* link = shard.link(interface);
    if (link == nullptr) {
        done(std::unexpected(control::CommandError{"not_found", "no interface " + interface}));
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (auto started = shard.stack().probe_address(link->id, address, now); !started) {
        const auto e = started.error();
        const std::string what =
            "address " + address.to_string() + " on " + interface + ": " + netstack::describe(e);
        done(std::unexpected(control::CommandError{
            e == netstack::ConfigError::exists ? "exists" : "invalid_args", what}));
        return;
    }
    auto job =
        std::make_shared<AddressProbeJob>(shard, interface, link->id, address, std::move(done));
    shard.start_job(job);
    shard.service(now);  // the stack's next probes are its timers
    job->timer_ = shard.timers().schedule_at(now + shard.stack().config().arp.probe_wait,
                                             [job] { job->check(); });
}

void AddressProbeJob::check() {
    timer_ = 0;
    const auto now = std::chrono::steady_clock::now();
    auto status = shard_.stack().address_probe(id_, address_, now);
    if (!status) {  // the interface went away meanwhile
        finish(std::unexpected(control::CommandError{"not_found", "no interface " + interface_}));
        return;
    }
    if (!status->finished) {  // the timer ran a hair early
        auto self = shared_from_this();
        timer_ =
            shard_.timers().schedule_after(std::chrono::milliseconds(1), [self] { self->check(); });
        return;
    }
    if (status->conflict) {
        finish(std::unexpected(address_in_use(address_, interface_, *status->conflict)));
        return;
    }
    finish(nlohmann::json{{"free", true}});
}

void AddressProbeJob::finish(control::Result result) {
    if (finished_) return;
    finished_ = true;
    auto self = shared_from_this();  // finish_job drops the shard's reference
    if (timer_ != 0) shard_.timers().cancel(timer_);
    shard_.stack().end_probe(id_, address_);
    shard_.finish_job(this);
    done_(std::move(result));
}

void AddressProbeJob::cancel() {
    finish(std::unexpected(control::CommandError{"shutting_down", "the daemon is stopping"}));
}

std::expected<void, control::CommandError> wait_for_probe(
    const std::function<void(control::Done)>& post, std::chrono::milliseconds wait) {
    // Shared with the job: its answer may come after we stopped waiting.
    auto answer = std::make_shared<std::promise<control::Result>>();
    auto future = answer->get_future();
    post([answer](control::Result result) { answer->set_value(std::move(result)); });
    if (future.wait_for(wait + std::chrono::seconds(5)) != std::future_status::ready)
        return std::unexpected(
            control::CommandError{"failed", "probing for the address did not finish"});
    auto result = future.get();
    if (!result) return std::unexpected(result.error());
    return {};
}

}  // namespace shmifd
