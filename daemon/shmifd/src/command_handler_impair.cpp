// The impairment commands of DaemonHandler: impair.set, impair.clear, impair.show
// (daemon/PROTOCOL.md).
#include "command_handler.hpp"
#include "impair/settings.hpp"

namespace shmifd {

namespace {

using control::Args;
using control::ArgumentError;
using control::Done;
using control::Result;

// "egress", "ingress" or "both" (both when optional and absent).
std::vector<ImpairDirection> directions_arg(Args& a, bool required) {
    auto text =
        required ? std::optional(a.required_string("direction")) : a.optional_string("direction");
    if (!text || *text == "both") return {ImpairDirection::egress, ImpairDirection::ingress};
    if (*text == "egress") return {ImpairDirection::egress};
    if (*text == "ingress") return {ImpairDirection::ingress};
    throw ArgumentError("direction must be egress, ingress or both, not " + *text);
}

std::string directions_text(const std::vector<ImpairDirection>& ds) {
    if (ds.size() == 2) return "both";
    return ds.front() == ImpairDirection::egress ? "egress" : "ingress";
}

}  // namespace

void DaemonHandler::impair_set(Args& a, Done& done) {
    const auto name = a.required_string("name");
    const auto directions = directions_arg(a, true);
    const auto words = a.required_string("netem");
    a.finish();
    auto settings = shmif::impair::parse_netem(words);
    if (!settings) throw ArgumentError("netem: " + settings.error());
    change(done,
           "impair set " + name + " " + directions_text(directions) + " " +
               shmif::impair::format_netem(*settings),
           [this, name, directions, s = *settings]() -> Result {
               for (auto d : directions)
                   if (auto o = dataplane_.set_impairment(name, d, s); !o)
                       return std::unexpected(o.error());
               return dataplane_.impairments_json(name);
           });
}

void DaemonHandler::impair_clear(Args& a, Done& done) {
    const auto name = a.required_string("name");
    const auto directions = directions_arg(a, false);
    a.finish();
    change(done, "impair clear " + name + " " + directions_text(directions),
           [this, name, directions]() -> Result {
               for (auto d : directions)
                   if (auto o = dataplane_.set_impairment(name, d, {}); !o)
                       return std::unexpected(o.error());
               return dataplane_.impairments_json(name);
           });
}

void DaemonHandler::impair_show(Args& a, Done& done) {
    const auto name = a.optional_string("name");
    a.finish();
    later(done, [this, name]() -> Result { return dataplane_.impairments_json(name); });
}

}  // namespace shmifd
