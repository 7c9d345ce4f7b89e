// Fuzz target: arbitrary bytes as a control request line (daemon/PROTOCOL.md). Parsing must
// never crash nor throw; the reply built for whatever came out must be one valid JSON line;
// Args over the parsed args, asked for keys taken from the input itself, may only throw
// ArgumentError. Every string in the args goes through the payload codecs (udp.send's
// data_base64): a decoded payload re-encodes to exactly the text it came from.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shmifd/control/handler.hpp"
#include "shmifd/control/payload_text.hpp"
#include "shmifd/control/protocol.hpp"

namespace {

using nlohmann::json;
using namespace shmifd::control;

void check_line(const std::string& line) {
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) __builtin_trap();
    if (!json::accept(std::string_view(line).substr(0, line.size() - 1))) __builtin_trap();
    if (!parse_reply(std::string_view(line).substr(0, line.size() - 1))) __builtin_trap();
}

// Every kind of access, on keys that exist in the input and some that do not.
void exercise_args(const json& raw, std::string_view data) {
    try {
        Args args(raw);
        std::size_t op = data.empty() ? 0 : static_cast<unsigned char>(data.front());
        for (const auto& [key, value] : raw.items()) {
            switch (op++ % 5) {
                case 0:
                    (void)args.optional_string(key);
                    break;
                case 1:
                    (void)args.optional_uint(key, 1, 1000);
                    break;
                case 2:
                    (void)args.optional_bool(key);
                    break;
                case 3:
                    (void)args.required_uint(key, 0, UINT64_MAX);
                    break;
                default:
                    (void)args.required_string(key);
                    break;
            }
        }
        (void)args.optional_string("absent");
        args.finish();
    } catch (const ArgumentError& error) {
        check_line(reply_line(nullptr, std::unexpected(CommandError{error.code, error.what()})));
    }
}

void exercise_payload_codecs(const json& args) {
    for (const auto& [key, value] : args.items()) {
        if (!value.is_string()) continue;
        const auto& text = value.get_ref<const std::string&>();
        if (!is_valid_utf8(text)) __builtin_trap();  // the JSON parser accepted it
        if (auto bytes = base64_decode(text); bytes && base64_encode(*bytes) != text)
            __builtin_trap();
        if (auto bytes = hex_decode(text); bytes && hex_decode(hex_encode(*bytes)) != bytes)
            __builtin_trap();
        if (base64_decode(base64_encode(text)) != text) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // One line, as the server's framer would hand it over.
    const std::string_view line = input.substr(0, input.find('\n'));
    auto request = parse_request(line);
    if (!request) {
        const auto& error = request.error();
        if (!error.id.is_primitive()) __builtin_trap();
        check_line(reply_line(error.id, std::unexpected(error.error)));
        return 0;
    }
    if (!request->args.is_object() || request->version != protocol_version) __builtin_trap();
    (void)is_known_command(request->cmd);
    // Echo the args as a result: any string the input held must serialize.
    check_line(reply_line(request->id, json{{"cmd", request->cmd}, {"args", request->args}}));
    // What the client side writes back parses again (numbers such as 1e999 may not survive
    // exactly: JSON has no infinity).
    const std::string again = request_line(*request);
    auto reparsed = parse_request(std::string_view(again).substr(0, again.size() - 1));
    if (!reparsed || reparsed->cmd != request->cmd || !reparsed->args.is_object()) __builtin_trap();
    exercise_args(request->args, input);
    exercise_payload_codecs(request->args);
    return 0;
}
