// The generated shmifd@.service: what it must say, and that systemd-analyze verify accepts it
// (skipped where systemd-analyze is missing or cannot run).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The value of the unit's first `key=` line ("" when absent).
std::string value_of(const std::string& unit, const std::string& key) {
    const auto at = unit.find("\n" + key + "=");
    if (at == std::string::npos) return "";
    const auto begin = at + key.size() + 2;
    return unit.substr(begin, unit.find('\n', begin) - begin);
}

// Runs a shell command line; its combined output and exit status.
std::pair<std::string, int> run(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return {"popen failed", -1};
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
        output += buffer;
    const int status = ::pclose(pipe);
    return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST(SystemdUnit, SaysWhatTheDaemonNeeds) {
    const auto unit = slurp(SHMIFD_UNIT_FILE);
    ASSERT_FALSE(unit.empty()) << SHMIFD_UNIT_FILE;
    for (const char* line :
         {"Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "ProtectSystem=strict",
          "RuntimeDirectory=shmif", "RuntimeDirectoryPreserve=yes",
          "Environment=SHMIFD_SOCKET=/run/shmif/%i.sock", "RestartPreventExitStatus=2",
          "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX", "ProtectHome=yes",
          "PrivateTmp=no"})
        EXPECT_NE(unit.find(std::string("\n") + line + "\n"), std::string::npos) << line;
    const auto exec = value_of(unit, "ExecStart");
    EXPECT_TRUE(exec.starts_with("/") && exec.find("/shmifd --config /") != std::string::npos &&
                exec.ends_with("/%i.toml"))
        << exec;
    EXPECT_EQ(unit.find('@' + std::string("CMAKE")), std::string::npos) << "unsubstituted";
    EXPECT_NE(slurp(SHMIFD_TMPFILES).find("d /run/shmif "), std::string::npos);
}

TEST(SystemdUnit, SystemdAnalyzeVerifyAccepts) {
    if (run("command -v systemd-analyze").second != 0)
        GTEST_SKIP() << "systemd-analyze is not installed";
    shmif::test::TempDir dir;
    // verify checks that ExecStart's binary exists: point it at the one just built.
    auto unit = slurp(SHMIFD_UNIT_FILE);
    const auto exec = value_of(unit, "ExecStart");
    const auto binary = exec.substr(0, exec.find(' '));
    unit.replace(unit.find("\nExecStart=") + 11, binary.size(), SHMIFD_BIN);
    const auto path = dir.file("shmifd@test.service");
    std::ofstream(path) << unit;
    auto [output, status] = run("systemd-analyze verify --man=no '" + path + "'");
    if (output.find("Failed to initialize manager") != std::string::npos ||
        output.find("Failed to setup manager") != std::string::npos)
        GTEST_SKIP() << "systemd-analyze cannot run here: " << output;
    // Complaints about other units of the host are not ours; lines naming ours are.
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);)
        EXPECT_EQ(line.find("shmifd@"), std::string::npos) << line;
    EXPECT_EQ(status, 0) << output;
}

}  // namespace
