// shmiflab's commands. Each returns the exit status (tools/common/exit_status.hpp) and
// reports failures as "shmiflab: ..." on stderr.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "exit_status.hpp"

namespace shmiflab {

using shmif::tool::exit_failure;
using shmif::tool::exit_ok;
using shmif::tool::exit_usage;

struct Common {
    std::string lab;   // the topology file, or the lab's name
    std::string base;  // --dir: where labs live (default_base())
};

struct UpArgs {
    Common common;
    std::string shmifd;    // --shmifd; empty: $SHMIFLAB_SHMIFD, beside shmiflab, PATH
    std::string shmiftap;  // --shmiftap, for kernel nodes; empty: $SHMIFLAB_SHMIFTAP, ...
    double timeout_s = 10;
};

struct StatusArgs {
    Common common;
    bool json = false;
};

struct PingAllArgs {
    Common common;
    int timeout_ms = 1000;  // per echo request
    int attempts = 2;       // echo requests per address until one is answered
};

struct ExecArgs {
    Common common;
    std::string node;
    std::vector<std::string> program;  // PROGRAM and its arguments: all that follows `--`
    std::vector<std::string> stray;    // words after NODE not preceded by `--`: a usage error
};

struct GraphArgs {
    Common common;
    std::string format = "dot";  // or "svg"
    std::string output;          // -o; empty or "-": standard output
};

int run_up(const UpArgs& args);
int run_down(const Common& args);
int run_status(const StatusArgs& args);
int run_ping_all(const PingAllArgs& args);
// Replaces shmiflab with the program when it can run (the program's exit status); returns
// only on failure.
int run_exec(const ExecArgs& args);
int run_graph(const GraphArgs& args);

// "shmiflab: MESSAGE" on stderr; returns `status`.
int report(int status, const std::string& message);

}  // namespace shmiflab
