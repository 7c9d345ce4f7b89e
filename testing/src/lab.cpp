// The fixture: shmiflab up/down/status/ping-all under a private base directory per test, and
// a failed test's files kept under a directory named after it.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "lab_name.hpp"
#include "process.hpp"
#include "shmif/testing/lab.hpp"

namespace shmif::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

bool writable_dir(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec) && ::access(path.c_str(), W_OK | X_OK) == 0;
}

std::string tmp_parent(const LabOptions& options) {
    if (!options.tmpdir.empty()) return options.tmpdir;
    if (const char* dir = std::getenv("SHMIF_LAB_TMPDIR"); dir != nullptr && *dir != '\0')
        return dir;
    if (writable_dir("/dev/shm")) return "/dev/shm";
    return env_or("TMPDIR", "/tmp");
}

// SUITE.TEST as a file name: parameterised tests' '/' and the like become '_'.
std::string test_dir_name() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info != nullptr ? std::string(info->test_suite_name()) + "." + info->name()
                                       : std::string("no-test");
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
            c = '_';
    return name;
}

std::string numbered(const std::string& text) {
    std::istringstream in(text);
    std::ostringstream out;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
        out << n << ": " << line << '\n';
    return out.str();
}

bool has_extension(const fs::path& file, std::initializer_list<const char*> extensions) {
    return std::ranges::any_of(extensions, [&](const char* e) { return file.extension() == e; });
}

}  // namespace

Lab::Lab() = default;

Lab::~Lab() {
    // A derived fixture whose TearDown did not call ours: still no daemon left behind.
    if (running_) shmiflab({"down", name_, "--dir", base_}, 60s);
    std::error_code ec;
    if (!base_.empty()) fs::remove_all(base_, ec);
}

Lab::Ran Lab::shmiflab(std::vector<std::string> args, std::chrono::milliseconds timeout) {
    const auto program = detail::find_program(
        options.shmiflab.empty() ? env_or("SHMIFLAB", "shmiflab") : options.shmiflab);
    if (!program) {
        Ran missing{-1,
                    "shmiflab not found: set LabOptions::shmiflab or $SHMIFLAB, or put it "
                    "in PATH"};
        transcript_ += missing.output + "\n";
        return missing;
    }
    args.insert(args.begin(), *program);
    std::string command;
    for (const auto& a : args)
        command += (command.empty() ? "$ " : " ") + a;
    auto done = detail::run(args, {}, timeout);
    transcript_ += command + "\n" + done.output + "(exit " + std::to_string(done.status) + ")\n";
    return {done.status, done.output};
}

::testing::AssertionResult Lab::up(const LabBuilder& lab) {
    const auto name = detail::unique_lab_name(lab.name());
    return up_text(lab.toml(name), name);
}

::testing::AssertionResult Lab::up_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return ::testing::AssertionFailure() << path << ": cannot read the topology file";
    std::ostringstream text;
    text << in.rdbuf();
    const auto name = detail::unique_lab_name(
        detail::lab_name_of(text.str()).value_or(fs::path(path).stem().string()));
    return up_text(detail::with_lab_name(text.str(), name), name);
}

::testing::AssertionResult Lab::up_text(const std::string& text, const std::string& name) {
    if (!base_.empty())
        return ::testing::AssertionFailure()
               << "lab " << name_ << " was brought up already: one lab per test";
    std::string base = tmp_parent(options) + "/shmif-lab-XXXXXX";
    if (::mkdtemp(base.data()) == nullptr)
        return ::testing::AssertionFailure()
               << "cannot make a directory " << base << ": " << std::strerror(errno);
    base_ = base;
    name_ = name;
    dir_ = base_ + "/" + name_;
    const auto file = base_ + "/lab.toml";
    std::ofstream(file, std::ios::trunc) << text;

    std::vector<std::string> args{"up",  file,        "--dir",
                                  base_, "--timeout", std::to_string(options.up_timeout.count())};
    if (!options.shmifd.empty()) args.insert(args.end(), {"--shmifd", options.shmifd});
    const auto ran = shmiflab(args, options.up_timeout + 30s);
    if (ran.status == -1) {
        // Killed on time mid-up, or never started: whatever did start must go.
        running_ = true;
        return ::testing::AssertionFailure() << "shmiflab up did not finish: " << ran.output;
    }
    if (ran.status != 0) {
        auto failure = ::testing::AssertionFailure()
                       << "shmiflab up failed (exit " << ran.status << "):\n"
                       << ran.output;
        if (ran.status == 2) failure << "The topology:\n" << numbered(text);
        return failure;
    }
    running_ = true;
    const auto state = status();
    for (const auto& n : state.value("nodes", nlohmann::json::array()))
        nodes_.push_back({n.value("name", std::string()), n.value("socket", std::string())});
    if (nodes_.empty())
        return ::testing::AssertionFailure()
               << "lab " << name_ << " is up but status lists no node";
    return ::testing::AssertionSuccess() << ran.output;
}

::testing::AssertionResult Lab::down() {
    if (!running_) return ::testing::AssertionSuccess();
    running_ = false;
    const auto ran = shmiflab({"down", name_, "--dir", base_}, 60s);
    if (ran.status != 0)
        return ::testing::AssertionFailure() << "shmiflab down " << name_ << " failed (exit "
                                             << ran.status << "): " << ran.output;
    return ::testing::AssertionSuccess();
}

void Lab::TearDown() {
    if (running_)
        if (auto stopped = down(); !stopped) ADD_FAILURE() << stopped.message();
    if (base_.empty()) return;
    if (HasFailure()) keep_artifacts();
    std::error_code ec;
    fs::remove_all(base_, ec);
    base_.clear();
}

void Lab::keep_artifacts() {
    const fs::path root = options.artifacts.empty()
                              ? env_or("SHMIF_LAB_ARTIFACTS", "shmif-lab-artifacts")
                              : options.artifacts;
    std::error_code ec;
    const fs::path kept = fs::absolute(root, ec) / test_dir_name();
    fs::remove_all(kept, ec);  // an older run's, which would mislead
    fs::create_directories(kept, ec);
    if (ec) {
        std::cerr << "shmif::testing::Lab: cannot keep the lab's files in " << kept.string() << ": "
                  << ec.message() << '\n';
        return;
    }
    std::vector<std::string> problems;
    auto copy = [&](const fs::path& from, const fs::path& to) {
        std::error_code e;
        fs::copy_file(from, to, fs::copy_options::overwrite_existing, e);
        if (e) problems.push_back(from.string() + ": " + e.message());
    };
    for (const auto& entry : fs::directory_iterator(dir_, ec))
        if (entry.is_regular_file() && has_extension(entry.path(), {".pcap", ".pcapng", ".log"}))
            copy(entry.path(), kept / entry.path().filename());
    copy(base_ + "/lab.toml", kept / "lab.toml");
    std::ofstream(kept / "shmiflab.txt", std::ios::trunc) << transcript_;

    std::cerr << "shmif::testing::Lab: the test failed; lab " << name_
              << "'s captures and logs are kept in " << kept.string() << '\n';
    for (const auto& p : problems)
        std::cerr << "shmif::testing::Lab: not kept: " << p << '\n';
    RecordProperty("shmif_lab_artifacts", kept.string());
}

NodeClient Lab::node(const std::string& name) const {
    for (const auto& n : nodes_)
        if (n.name == name) return NodeClient(n.name, n.socket);
    std::string known;
    for (const auto& n : nodes_)
        known += (known.empty() ? "" : ", ") + n.name;
    ADD_FAILURE() << "lab " << (name_.empty() ? "(not up)" : name_) << " has no node " << name
                  << " (nodes: " << (known.empty() ? "none" : known) << ")";
    return NodeClient(name, "");
}

std::string Lab::socket(const std::string& node_name) const {
    return node(node_name).socket();
}

std::vector<std::string> Lab::addresses(const std::string& node_name) const {
    return node(node_name).addresses();
}

std::string Lab::address(const std::string& node_name) const {
    const auto all = addresses(node_name);
    if (all.empty()) {
        ADD_FAILURE() << "node " << node_name << " has no address";
        return "";
    }
    return all.front().substr(0, all.front().find('/'));
}

::testing::AssertionResult Lab::ping(const std::string& from, const std::string& to,
                                     int count) const {
    const auto target = to.substr(0, to.find('/'));
    constexpr int interval_ms = 100, timeout_ms = 1000;
    const auto reply =
        node(from).call("ping",
                        {{"addr", target},
                         {"count", count},
                         {"interval_ms", interval_ms},
                         {"timeout_ms", timeout_ms}},
                        std::chrono::milliseconds(count * interval_ms + timeout_ms) + 10s);
    if (!reply)
        return ::testing::AssertionFailure()
               << "ping " << from << " -> " << target << ": " << reply.error;
    const auto received = reply.result.value("received", 0);
    auto result = received == count ? ::testing::AssertionSuccess() : ::testing::AssertionFailure();
    return result << "ping " << from << " -> " << target << ": " << count << " sent, " << received
                  << " answered";
}

::testing::AssertionResult Lab::ping_all() {
    const auto ran = shmiflab({"ping-all", name_, "--dir", base_}, 180s);
    auto result = ran.status == 0 ? ::testing::AssertionSuccess() : ::testing::AssertionFailure();
    return result << "shmiflab ping-all (exit " << ran.status << "):\n" << ran.output;
}

nlohmann::json Lab::status() {
    const auto ran = shmiflab({"status", name_, "--dir", base_, "--json"}, 30s);
    // Exit 1 says a node stopped; the JSON says which.
    std::istringstream lines(ran.output);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with('{')) {
            auto parsed = nlohmann::json::parse(line, nullptr, false);
            if (!parsed.is_discarded()) return parsed;
        }
    ADD_FAILURE() << "shmiflab status --json gave no JSON (exit " << ran.status
                  << "): " << ran.output;
    return nullptr;
}

std::vector<std::string> Lab::capture_files() const {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec))
        if (entry.is_regular_file() && has_extension(entry.path(), {".pcap", ".pcapng"}))
            files.push_back(entry.path().string());
    std::ranges::sort(files);
    return files;
}

}  // namespace shmif::testing
