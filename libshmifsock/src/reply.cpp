#include "reply.hpp"

#include <cerrno>

#include "errno_names.hpp"

namespace shmifsock {

std::string request_line(std::uint64_t id, std::string_view cmd, const nlohmann::json& args) {
    nlohmann::json request = {{"v", 1}, {"id", id}, {"cmd", cmd}, {"args", args}};
    auto line = request.dump();
    line += '\n';
    return line;
}

int errno_of_error(const nlohmann::json& error) {
    if (!error.is_object()) return EIO;
    if (const auto name = error.find("errno"); name != error.end() && name->is_string()) {
        if (const auto number = errno_from_name(name->get_ref<const std::string&>()))
            return *number;
    }
    const auto code = error.find("code");
    if (code == error.end() || !code->is_string()) return EIO;
    const auto& text = code->get_ref<const std::string&>();
    if (text == "not_found") return EBADF;
    if (text == "invalid_args") return EINVAL;
    if (text == "busy") return EAGAIN;
    if (text == "timeout") return ETIMEDOUT;
    if (text == "shutting_down") return ECONNRESET;
    if (text == "unknown_command") return EOPNOTSUPP;
    return EIO;
}

std::expected<nlohmann::json, int> parse_reply(std::string_view line, std::uint64_t id) {
    const auto reply = nlohmann::json::parse(line, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) return std::unexpected(EPROTO);
    const auto version = reply.find("v");
    const auto reply_id = reply.find("id");
    const auto ok = reply.find("ok");
    if (version == reply.end() || *version != 1 || ok == reply.end() || !ok->is_boolean())
        return std::unexpected(EPROTO);
    // A reply to a line the daemon could not read (too_large, parse_error) has a null id.
    if (reply_id == reply.end() || !reply_id->is_number_unsigned() ||
        reply_id->get<std::uint64_t>() != id) {
        if (!ok->get<bool>() && reply_id != reply.end() && reply_id->is_null())
            return std::unexpected(errno_of_error(reply.value("error", nlohmann::json())));
        return std::unexpected(EPROTO);
    }
    if (!ok->get<bool>())
        return std::unexpected(errno_of_error(reply.value("error", nlohmann::json())));
    const auto result = reply.find("result");
    if (result == reply.end() || result->is_null()) return nlohmann::json::object();
    return *result;
}

}  // namespace shmifsock
