// The daemon's life: start the data path and apply the configuration, serve the control
// socket, reload on SIGHUP, and on SIGTERM/SIGINT stop accepting, drain, detach and exit.
#pragma once

#include "config.hpp"
#include "defaults.hpp"

namespace shmifd {

// Returns the process exit status: 0 after a clean stop, 1 when start-up failed, 2 when an
// address is in use on its bus (RFC 5227 probe, address_probe.hpp). `overrides`
// (already applied to `config`) are applied again to the file at every reload.
int run_daemon(Config config, CommandLineOverrides overrides = {});

}  // namespace shmifd
