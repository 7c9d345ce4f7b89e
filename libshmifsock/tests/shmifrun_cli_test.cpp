// shmifrun's own behaviour, against a fake daemon: what it refuses, and the environment it
// gives the program (the shim appended to LD_PRELOAD, the socket as an absolute path).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_daemon.hpp"
#include "temp_dir.hpp"

namespace shmifsock::test {
namespace {

struct Outcome {
    int status = -1;
    std::string output;  // stdout and stderr
};

// Runs shmifrun with `args` in `cwd`, the environment changed by `env` ("K=V" sets, "K="
// with nothing after the '=' unsets).
Outcome shmifrun(const std::vector<std::string>& args, const std::string& cwd,
                 const std::vector<std::string>& env = {}) {
    const std::string log = cwd + "/shmifrun.out";
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (const auto& e : env) {
            const auto eq = e.find('=');
            if (eq + 1 == e.size())
                ::unsetenv(e.substr(0, eq).c_str());
            else
                ::setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
        }
        if (::chdir(cwd.c_str()) != 0) ::_exit(120);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<char*> argv{const_cast<char*>(SHMIFRUN_BIN)};
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(SHMIFRUN_BIN, argv.data());
        ::_exit(121);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream in(log);
    std::ostringstream text;
    text << in.rdbuf();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

TEST(Shmifrun, HelpSaysWhatCannotWork) {
    shmif::test::TempDir dir;
    const auto help = shmifrun({"--help"}, dir.path());
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.output.find("Statically linked"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("Go's net package"), std::string::npos);
    EXPECT_NE(help.output.find("shmiftap"), std::string::npos);
}

TEST(Shmifrun, UsageErrorsAreStatusTwo) {
    shmif::test::TempDir dir;
    EXPECT_EQ(shmifrun({}, dir.path()).status, 2);
    EXPECT_EQ(shmifrun({"-s"}, dir.path()).status, 2);
    EXPECT_EQ(shmifrun({"--bogus", "true"}, dir.path()).status, 2);
}

TEST(Shmifrun, NoDaemonIsAClearErrorAndStatusOne) {
    shmif::test::TempDir dir;
    const auto run = shmifrun({"-s", "missing.sock", "true"}, dir.path());
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.output.find("shmifd does not answer on " + dir.path() + "/missing.sock"),
              std::string::npos)
        << run.output;
}

TEST(Shmifrun, GivesTheProgramTheShimAndTheSocket) {
#ifdef SHMIFRUN_SANITIZED
    GTEST_SKIP() << "a sanitized shim cannot be preloaded into /bin/sh";
#endif
    shmif::test::TempDir dir;
    FakeDaemon daemon(dir.file("d.sock"), [](const nlohmann::json&) {
        return Answer::success({{"protocol", 1}});
    });
    const std::string show = "echo \"[$LD_PRELOAD] [$SHMIFSOCK_SOCKET]\"";
    // A relative -s becomes absolute: the program may change directory.
    auto run = shmifrun({"-s", "d.sock", "--", "/bin/sh", "-c", show}, dir.path(), {"LD_PRELOAD="});
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("libshmifrun.so] [" + daemon.path() + "]"), std::string::npos)
        << run.output;
    EXPECT_EQ(run.output.find("[:"), std::string::npos);  // nothing to append to

    // An existing preload stays first; $SHMIFSOCK_SOCKET is the default socket.
    run = shmifrun({"/bin/sh", "-c", show}, dir.path(),
                   {"LD_PRELOAD=libc.so.6", "SHMIFSOCK_SOCKET=" + daemon.path()});
    EXPECT_EQ(run.status, 0) << run.output;
    EXPECT_NE(run.output.find("[libc.so.6:/"), std::string::npos) << run.output;

    EXPECT_EQ(shmifrun({"-s", daemon.path(), "/nonexistent/program"}, dir.path()).status, 127);
}

}  // namespace
}  // namespace shmifsock::test
