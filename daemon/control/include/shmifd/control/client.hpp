// A synchronous client of the control socket, for shmifctl and tests: connect with a timeout,
// send requests, read replies with a timeout. One connection, one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "shmifd/control/handler.hpp"
#include "shmifd/control/protocol.hpp"

namespace shmifd::control {

struct ClientError {
    enum class Kind {
        connect,   // no socket, nobody listening, permission denied, connect timed out
        timeout,   // no (complete) reply in time
        io,        // the connection broke
        protocol,  // the reply is not a protocol-1 reply line
    };
    Kind kind;
    std::string message;
};

class ControlClient {
  public:
    static std::expected<ControlClient, ClientError> connect(const std::filesystem::path& path,
                                                             std::chrono::milliseconds timeout);
    ControlClient(ControlClient&& other) noexcept;
    ControlClient& operator=(ControlClient&& other) noexcept;
    ~ControlClient();

    // Sends a request (an id is assigned when the request has none) and reads its reply.
    std::expected<Reply, ClientError> call(Request request, std::chrono::milliseconds timeout);

    // Raw access, for tests: write bytes as they are; read one line (without '\n').
    std::expected<void, ClientError> send_raw(std::string_view bytes,
                                              std::chrono::milliseconds timeout);
    std::expected<std::string, ClientError> read_line(std::chrono::milliseconds timeout);
    int native_handle() const { return fd_; }

  private:
    explicit ControlClient(int fd) : fd_(fd) {}
    int fd_ = -1;
    std::uint64_t next_id_ = 1;
    std::string buffer_;  // bytes read past the last line
};

}  // namespace shmifd::control
