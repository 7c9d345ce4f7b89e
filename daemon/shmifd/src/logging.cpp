#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#ifdef SHMIFD_HAVE_SYSTEMD
#include <spdlog/sinks/systemd_sink.h>
#endif

namespace shmifd {

bool is_log_level(std::string_view level) {
    return std::find(log_levels.begin(), log_levels.end(), level) != log_levels.end();
}

std::string log_level_list() {
    std::string text;
    for (std::size_t i = 0; i < log_levels.size(); ++i) {
        if (i > 0) text += i + 1 == log_levels.size() ? " or " : ", ";
        text += log_levels[i];
    }
    return text;
}

namespace {

// systemd sets JOURNAL_STREAM=DEV:INODE for the stderr it connected to the journal; children
// inherit the variable with their stderr redirected elsewhere, so it counts only if stderr
// is still that stream (systemd.exec(5)).
bool stderr_is_journal() {
    const char* journal = std::getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    if (journal == nullptr || std::sscanf(journal, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    return ::fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

void setup_logging(const std::string& level) {
    std::shared_ptr<spdlog::logger> logger;
#ifdef SHMIFD_HAVE_SYSTEMD
    if (stderr_is_journal()) {
        logger = std::make_shared<spdlog::logger>(
            "shmifd", std::make_shared<spdlog::sinks::systemd_sink_mt>("shmifd"));
        logger->set_pattern("%v");  // the journal keeps time, pid and priority itself
    }
#endif
    if (!logger) {
        logger = spdlog::stderr_color_mt("shmifd");
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e shmifd[%P] %^%l%$: %v");
    }
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace shmifd
