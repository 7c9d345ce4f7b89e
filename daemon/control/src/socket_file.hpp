// The control socket's file: created safely (never stealing a live daemon's socket, never
// deleting something that is not a socket), removed only while it is still ours.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace shmifd::control {

struct SocketFile {
    int fd = -1;  // bound and listening
    dev_t dev = 0;
    ino_t ino = 0;
};

struct SocketFileOptions {
    std::filesystem::path path;
    mode_t mode = 0600;
    std::optional<gid_t> group;
    int backlog = 64;
};

// Throws std::runtime_error with a one-line reason.
SocketFile create_socket_file(const SocketFileOptions& options);
// Unlinks `path` if it is still the socket `file` created (another daemon may have replaced it).
void remove_socket_file(const std::filesystem::path& path, const SocketFile& file);

// A group name or a numeric gid; throws std::runtime_error when there is no such group.
gid_t resolve_group(const std::string& group);

}  // namespace shmifd::control
