#include "tap_io.hpp"

#include <poll.h>

namespace shmiftap {

const char* io_mode_name(IoMode mode) {
    return mode == IoMode::uring ? "io_uring" : "plain";
}

std::optional<IoMode> parse_io_mode(std::string_view text) {
    if (text == "plain") return IoMode::plain;
    if (text == "uring" || text == "io_uring") return IoMode::uring;
    return std::nullopt;
}

std::expected<std::unique_ptr<TapReader>, int> make_tap_reader(int fd, IoMode mode,
                                                               std::size_t batch) {
    if (mode == IoMode::uring) return make_uring_reader(fd, batch);
    return make_plain_reader(fd);
}

std::expected<std::unique_ptr<TapWriter>, int> make_tap_writer(int fd, IoMode mode,
                                                               std::size_t batch) {
    if (mode == IoMode::uring) return make_uring_writer(fd, batch);
    return make_plain_writer(fd);
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    ::pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 && (p.revents & POLLIN) != 0;
}

}  // namespace shmiftap
