// What the integration tests of shmiflab share: a fixture that runs the real shmiflab binary
// (and any other program) to its end, bounded in time, on labs in a temporary directory,
// looks at what a lab left behind, and takes every lab it brought up down again at the end
// of the test, by force where `down` did not, whatever happened.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon_process.hpp"
#include "temp_dir.hpp"

namespace shmiflab::test {

// What every lab test uses besides this fixture (`using namespace test;` brings them all).
using namespace std::chrono_literals;
using shmifd::test::read_file;
using shmifd::test::wait_until;
using shmifd::test::write_text_file;

struct Ran {
    int status = -1;
    std::string output;  // stdout and stderr
    pid_t pid = -1;
};

// How often `what` stands in `text` (overlapping included).
std::size_t count(const std::string& text, const std::string& what);
// The lines of `text` that are not empty.
std::vector<std::string> lines_of(const std::string& text);
// Running processes (not this one) whose arguments contain `text`.
std::vector<pid_t> processes_naming(const std::string& text);

// Why kernel nodes cannot run here (no root, no /dev/net/tun, no ip, or `ip netns add` or
// `ip netns exec` refused, as in a chroot whose / is not a mount point); empty when they can.
std::string kernel_labs_unavailable();

class LabRunner : public ::testing::Test {
  public:
    // Environment variables that point shmiflab at the programs of this build:
    // SHMIFLAB_SHMIFD always, and those of `programs` ("SHMIFLAB_SHMIFTAP" -> path).
    using Programs = std::map<std::string, std::string>;

  protected:
    // `run_timeout`: how long one shmiflab run may take; `up_seconds`: `up`'s --timeout.
    explicit LabRunner(Programs programs = {}, std::chrono::milliseconds run_timeout = 180s,
                       int up_seconds = 120);

    std::string base() const { return dir_.path() + "/labs"; }
    // BASE/LAB/FILE (BASE/LAB/ for no file).
    std::string lab_file(const std::string& lab, const std::string& file = "") const {
        return base() + "/" + lab + "/" + file;
    }
    // `text` in the test's directory as NAME.toml; its path.
    std::string write_topology(const std::string& name, const std::string& text);

    // Runs `argv` to its end (bounded; killed and a failure on timeout). `env` adds "K=V".
    Ran run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
            std::chrono::milliseconds timeout = 180s);
    // The environment shmiflab runs with: the programs of this build, `overrides` first.
    std::vector<std::string> environment(const Programs& overrides = {}) const;
    // shmiflab COMMAND --dir BASE REST...: --dir first, so that it never follows exec's `--`.
    Ran shmiflab(const std::vector<std::string>& args) { return shmiflab(args, run_timeout_); }
    Ran shmiflab(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
        return shmiflab_with({}, args, timeout);
    }
    // shmiflab with some of its programs replaced (e.g. by a wrapper that fails).
    Ran shmiflab_with(const Programs& overrides, const std::vector<std::string>& args,
                      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    // Lab `name` is taken down in TearDown (once, however often this is called).
    void take_down_at_end(const std::string& name);
    // `up FILE --timeout S EXTRA...` that must work; lab `name` is taken down at the end.
    void up(const std::string& file, const std::string& name,
            const std::vector<std::string>& extra = {});

    // The pid in the lab's pid file `pid_file` (e.g. "r1.pid").
    std::optional<pid_t> pid_of(const std::string& name, const std::string& pid_file) const;
    // The pids the lab's nodes were given.
    std::vector<pid_t> pids(const std::string& name) const;
    // Files of the lab's directory whose names end with `suffix`.
    std::vector<std::string> files(const std::string& name, const std::string& suffix) const;
    // Processes still running whose arguments name a file of lab `name` (node configs, buses,
    // capture files), or of any lab of this test for "": what a lab leaves behind, whatever
    // its pid files say.
    std::vector<pid_t> lab_processes(const std::string& name) const;
    // The processes of lab `name` ("": of every lab) are gone, within a few seconds: a stopped
    // process may linger as a zombie until its parent reaps it (alive() does not count those).
    void expect_no_process(const std::string& name) const;
    // Each of `pids` is gone within a few seconds.
    static void expect_gone(const std::vector<pid_t>& pids);

    // Whatever happened: `down` for every lab that has its lab.toml, then by force what
    // `down` left. A fixture that wants more (namespaces) does it after this.
    void TearDown() override;

    shmif::test::TempDir dir_;
    std::vector<std::string> labs_;  // taken down in TearDown

  private:
    Programs programs_;
    std::chrono::milliseconds run_timeout_;
    int up_seconds_;
    int runs_ = 0;
};

}  // namespace shmiflab::test
