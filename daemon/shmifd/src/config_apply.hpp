// Bringing the running daemon to a configuration: at start-up (from nothing) and on SIGHUP
// (from what runs). Only the difference is applied, each change through the Dataplane (so
// through stop_machine) or the ForwardService; what changed is described line by line for the log.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"
#include "dataplane.hpp"
#include "forward/forward_service.hpp"

namespace shmifd {

struct ApplyReport {
    std::vector<std::string> changes;  // "add interface eth1 on /run/shmif/b.bus", ...
    std::vector<std::string> errors;   // "... failed: why" (the rest was still applied)
    bool address_in_use = false;       // one of the errors: an address taken on its bus
};

// Forwards are the ForwardService's (forward/), applied after the interfaces and services.
ApplyReport apply_config(Dataplane& dataplane, forward::ForwardService& forwards,
                         const Config& next);

// What a reload to `next` undoes of the changes made at run time (through the control socket)
// since `file` was loaded: the file wins. One line per change, for the log.
std::vector<std::string> runtime_changes_undone(const Config& file, const Dataplane& dataplane,
                                                const forward::ForwardService& forwards,
                                                const Config& next);

// Settings that only take effect at start-up; lines naming those that differ.
std::vector<std::string> restart_only_differences(const Config& running, const Config& next);

}  // namespace shmifd
