#include "link_harness.hpp"

#include <signal.h>

#include <regex>

namespace shmiflink::test {

using namespace std::chrono_literals;

std::optional<Counters> last_counters(const std::string& text, const std::string& direction) {
    const std::regex line("shmiflink: " + direction + ": settings='[^']*'([^\n]*)\n");
    std::optional<std::string> last;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), line);
         it != std::sregex_iterator(); ++it)
        last = (*it)[1].str();
    if (!last) return std::nullopt;
    Counters out;
    const std::regex pair(" ([a-z_]+)=([0-9]+)");
    for (auto it = std::sregex_iterator(last->begin(), last->end(), pair);
         it != std::sregex_iterator(); ++it)
        out[(*it)[1].str()] = std::stoull((*it)[2].str());
    return out;
}

std::size_t counter_lines(const std::string& text, const std::string& direction) {
    const std::regex line("shmiflink: " + direction + ": settings='[^']*'[^\n]*\n");
    return static_cast<std::size_t>(std::distance(
        std::sregex_iterator(text.begin(), text.end(), line), std::sregex_iterator()));
}

std::optional<std::uint64_t> applied_after(const std::string& text, const std::string& direction,
                                           const std::string& words) {
    const std::string key = "shmiflink: " + direction + ": now '" + words + "' (after ";
    const auto at = text.rfind(key);
    if (at == std::string::npos) return std::nullopt;
    return std::stoull(text.substr(at + key.size()));
}

Link::Link(const shmif::test::TempDir& dir, const std::string& bus_a, const std::string& bus_b,
           std::vector<std::string> extra) {
    std::vector<std::string> argv{SHMIFLINK_BIN, bus_a, bus_b, "--json"};
    for (auto& e : extra)
        argv.push_back(std::move(e));
    process_ = std::make_unique<shmifd::test::Process>(dir, std::move(argv));
}

bool Link::ready(std::string& why) {
    const bool up = shmifd::test::wait_until(
        [&] {
            return !process_->running() ||
                   process_->err_so_far().find("shmiflink: linking ") != std::string::npos;
        },
        10s);
    if (up && process_->running()) return true;
    why = "shmiflink did not start: " + process_->err_so_far();
    return false;
}

std::optional<Counters> Link::counters_now(const std::string& direction) {
    const std::size_t before = counter_lines(process_->err_so_far(), direction);
    process_->signal(SIGUSR1);
    if (!shmifd::test::wait_until(
            [&] { return counter_lines(process_->err_so_far(), direction) > before; }, 5s))
        return std::nullopt;
    return last_counters(process_->err_so_far(), direction);
}

shmifd::test::Outcome Link::stop(nlohmann::json& json) {
    process_->signal(SIGTERM);
    shmifd::test::Outcome outcome = process_->wait(10s);
    json = nlohmann::json::parse(outcome.out, nullptr, false);
    return outcome;
}

}  // namespace shmiflink::test
