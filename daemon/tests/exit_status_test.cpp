// shmifd's exit statuses as a process (tools/common/exit_status.hpp, README "Exit status").
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "daemon_process.hpp"
#include "temp_dir.hpp"

namespace shmifd::test {
namespace {

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

// Every kind of configuration error exits 2, the status systemd's unit does not restart
// after (RestartPreventExitStatus=2); CLI11's own codes (105 ...) never leak out.
TEST(ShmifdExitStatus, ConfigurationErrorsExitTwo) {
    shmif::test::TempDir dir;
    const std::string bus = dir.file("lan.bus");
    write_text(dir.file("syntax.toml"), "[daemon\n");
    write_text(dir.file("value.toml"), "[daemon]\nlog_level = \"loud\"\n");
    write_text(dir.file("unreadable.toml"), "[daemon]\n");
    ::chmod(dir.file("unreadable.toml").c_str(), 0);
    const std::vector<std::vector<std::string>> cases = {
        {"--config", dir.file("nonexistent.toml")},
        {"--config", dir.file("syntax.toml")},
        {"--config", dir.file("value.toml")},
        {"--workers", "0"},
        {"--frobnicate"},
        {"--addr", "10.0.0.300/24", "--bus", bus},
        {"--config", dir.file("value.toml"), "--bus", bus},
    };
    int n = 0;
    for (const auto& tail : cases) {
        std::vector<std::string> args = {SHMIFD_BIN, "--socket", dir.file("never.sock")};
        for (const auto& arg : tail)
            args.push_back(arg);
        const auto log = dir.file("case" + std::to_string(n++) + ".log");
        const auto status = wait_exit(spawn(args, log), 10s);
        ASSERT_TRUE(status) << tail.front();
        EXPECT_EQ(*status, 2) << tail.front() << "\n" << read_file(log);
        EXPECT_FALSE(read_file(log).empty()) << tail.front();
    }
    // Root reads a mode-0 file: only an unprivileged run can see it refused.
    if (::geteuid() != 0) {
        const auto log = dir.file("unreadable.log");
        const auto status = wait_exit(spawn({SHMIFD_BIN, "--config", dir.file("unreadable.toml"),
                                             "--socket", dir.file("never.sock")},
                                            log),
                                      10s);
        ASSERT_TRUE(status);
        EXPECT_EQ(*status, 2) << read_file(log);
    }
    const auto help = dir.file("help.log");
    EXPECT_EQ(wait_exit(spawn({SHMIFD_BIN, "--help"}, help), 10s), 0);
    EXPECT_NE(read_file(help).find("Exit status"), std::string::npos);
}

}  // namespace
}  // namespace shmifd::test
