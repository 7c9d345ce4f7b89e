// What a failed test keeps: failing_lab_program (a GoogleTest program using the fixture) is
// run as a user's CI runs its tests, and what it leaves is looked at from outside: the pcap
// (read by the real tcpdump), the daemons' logs, and no process or file of a passing test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "process.hpp"

namespace shmif::testing::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

class LabArtifacts : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string dir = (fs::temp_directory_path() / "shmif-lab-artifacts-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(dir.data()), nullptr);
        work_ = dir;
        fs::create_directories(work_ / "tmp");
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(work_, ec);
    }

    // The program with one of its tests, the artifacts and lab bases in the scratch directory.
    detail::Finished run_program(const std::string& test) {
        auto done = detail::run({FAILING_LAB_PROGRAM, "--gtest_filter=KeptLab." + test,
                                 "--gtest_output=xml:" + (work_ / "report.xml").string()},
                                {"SHMIF_LAB_ARTIFACTS=" + artifacts().string(),
                                 "SHMIF_LAB_TMPDIR=" + (work_ / "tmp").string()},
                                300s);
        std::cout << done.output;
        return done;
    }

    fs::path artifacts() const { return work_ / "artifacts"; }

    // Processes whose arguments name the scratch directory (the lab's daemons, captures).
    std::vector<std::string> processes_left() const {
        std::vector<std::string> found;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator("/proc", ec)) {
            const auto pid = entry.path().filename().string();
            if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
            auto cmdline = read_file(entry.path() / "cmdline");
            if (cmdline.find(work_.string()) == std::string::npos) continue;
            std::ranges::replace(cmdline, '\0', ' ');
            found.push_back(pid + ": " + cmdline);
        }
        return found;
    }

    // Nothing of the lab's base is left under tmp/.
    void expect_no_lab_left() {
        EXPECT_TRUE(processes_left().empty()) << ::testing::PrintToString(processes_left());
        EXPECT_TRUE(fs::is_empty(work_ / "tmp"))
            << fs::directory_iterator(work_ / "tmp")->path().string();
    }

    fs::path work_;
};

TEST_F(LabArtifacts, FailedTestKeepsPcapsThatTcpdumpReads) {
    const auto done = run_program("FailsOnPurpose");
    ASSERT_EQ(done.status, 1) << done.output;
    EXPECT_NE(done.output.find("failing on purpose"), std::string::npos);

    const auto kept = artifacts() / "KeptLab.FailsOnPurpose";
    ASSERT_TRUE(fs::is_directory(kept)) << done.output;
    // The path is printed, and recorded in the report.
    EXPECT_NE(done.output.find("kept in " + kept.string()), std::string::npos) << done.output;
    EXPECT_NE(read_file(work_ / "report.xml").find("shmif_lab_artifacts"), std::string::npos);
    for (const char* file : {"a.log", "b.log", "lab.toml", "shmiflab.txt"})
        EXPECT_TRUE(fs::is_regular_file(kept / file)) << file;
    EXPECT_NE(read_file(kept / "lab.toml").find("[[capture]]"), std::string::npos);

    expect_no_lab_left();

    // Needs [[capture]] run by shmiflab up (shmifdump into the lab's directory).
    const auto pcap = kept / "lan.pcap";
    ASSERT_TRUE(fs::is_regular_file(pcap))
        << "no capture kept: does this shmiflab run the lab's [[capture]]? "
        << read_file(kept / "shmiflab.txt");
    EXPECT_GT(fs::file_size(pcap), 24u);  // more than the pcap file header

    const auto tcpdump = detail::find_program("tcpdump");
    if (!tcpdump) GTEST_SKIP() << "tcpdump is not installed: the pcap was kept but not read";
    const auto read = detail::run({*tcpdump, "-n", "-r", pcap.string()}, {}, 30s);
    ASSERT_EQ(read.status, 0) << read.output;
    const std::regex request(R"(IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request)");
    const std::regex reply(R"(IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply)");
    EXPECT_TRUE(std::regex_search(read.output, request)) << read.output;
    EXPECT_TRUE(std::regex_search(read.output, reply)) << read.output;
}

TEST_F(LabArtifacts, PassingTestKeepsNothingAndLeavesNoProcess) {
    const auto done = run_program("Passes");
    ASSERT_EQ(done.status, 0) << done.output;
    EXPECT_NE(done.output.find("LAB_DIR " + (work_ / "tmp").string()), std::string::npos)
        << "the lab did not run under SHMIF_LAB_TMPDIR";
    EXPECT_FALSE(fs::exists(artifacts())) << "a passing test kept files";
    EXPECT_EQ(read_file(work_ / "report.xml").find("shmif_lab_artifacts"), std::string::npos);
    expect_no_lab_left();
}

}  // namespace
}  // namespace shmif::testing::test
