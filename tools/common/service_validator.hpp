// The CLI11 check of a test-service spec, KIND[:PORT][/tcp|udp|both] (services/), shared by
// shmifd --serve, shmifhost --serve and shmifctl service add|del: a bad spec is a usage
// error (exit 2) with the parser's own sentence.
#pragma once

#include <CLI/CLI.hpp>

namespace shmif::tool {

CLI::Validator service_spec_validator();

}  // namespace shmif::tool
