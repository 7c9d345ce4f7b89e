#include "socket_file.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

#include "errno_text.hpp"

namespace shmifd::control {
namespace {

[[noreturn]] void fail(std::string message) {
    throw std::runtime_error(std::move(message));
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

sockaddr_un socket_address(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string& text = path.native();
    if (text.empty() || text.size() >= sizeof(address.sun_path))
        fail(fmt::format("{}: a socket path must be 1 to {} bytes long", text,
                         sizeof(address.sun_path) - 1));
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

// True when a process accepts connections on the socket at `path` (connection refused: a
// stale file left by a daemon that died).
bool socket_is_live(const std::filesystem::path& path) {
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (probe.get() < 0) fail(fmt::format("socket: {}", errno_text(errno)));
    const sockaddr_un address = socket_address(path);
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
        return true;
    const int error = errno;
    // A full backlog (EAGAIN) still means somebody listens there.
    if (error == EAGAIN || error == EINPROGRESS) return true;
    if (error == ECONNREFUSED || error == ENOENT) return false;
    fail(fmt::format("{}: cannot check the existing socket: {}", path.native(), errno_text(error)));
}

void make_parent_directory(const std::filesystem::path& path) {
    const auto parent = path.parent_path();
    if (parent.empty()) return;
    std::error_code error;
    if (std::filesystem::is_directory(parent, error)) return;
    // Only the directories created here get 0755; existing ones keep their mode.
    std::vector<std::filesystem::path> missing;
    for (auto dir = parent; !dir.empty() && !std::filesystem::exists(dir, error);
         dir = dir.parent_path()) {
        missing.push_back(dir);
        if (dir == dir.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST)
            fail(fmt::format("{}: cannot create the directory: {}", it->native(),
                             errno_text(errno)));
        ::chmod(it->c_str(), 0755);  // whatever the umask
    }
}

void remove_stale_socket(const std::filesystem::path& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT) return;
        fail(fmt::format("{}: {}", path.native(), errno_text(errno)));
    }
    if (!S_ISSOCK(status.st_mode))
        fail(fmt::format("{}: exists and is not a socket; not replacing it", path.native()));
    if (socket_is_live(path))
        fail(fmt::format("{}: another daemon is listening on this socket", path.native()));
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        fail(fmt::format("{}: cannot remove the stale socket: {}", path.native(),
                         errno_text(errno)));
}

}  // namespace

gid_t resolve_group(const std::string& group) {
    gid_t gid = 0;
    const auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), gid);
    if (!group.empty() && ec == std::errc{} && end == group.data() + group.size()) return gid;
    std::vector<char> buffer(16384);
    struct group entry {};
    struct group* found = nullptr;
    const int error = ::getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error != 0 || found == nullptr)
        fail(fmt::format("{}: no such group{}", group, error ? ": " + errno_text(error) : ""));
    return found->gr_gid;
}

SocketFile create_socket_file(const SocketFileOptions& options) {
    const sockaddr_un address = socket_address(options.path);
    make_parent_directory(options.path);
    remove_stale_socket(options.path);

    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) fail(fmt::format("socket: {}", errno_text(errno)));
    // The file is born owner-only, so nobody else can connect before chmod/chown below.
    const mode_t old_umask = ::umask(0177);
    const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    const int bind_error = errno;
    ::umask(old_umask);
    if (bound != 0)
        fail(fmt::format("{}: cannot bind: {}", options.path.native(), errno_text(bind_error)));

    struct stat status {};
    const auto undo = [&](const std::string& what) {
        const int error = errno;
        ::unlink(options.path.c_str());
        fail(fmt::format("{}: {}: {}", options.path.native(), what, errno_text(error)));
    };
    if (::stat(options.path.c_str(), &status) != 0) undo("stat");
    if (options.group && ::chown(options.path.c_str(), static_cast<uid_t>(-1), *options.group) != 0)
        undo(fmt::format("cannot give the socket to group {}", *options.group));
    if (::chmod(options.path.c_str(), options.mode) != 0) undo("chmod");
    if (::listen(fd.get(), options.backlog) != 0) undo("listen");
    return SocketFile{fd.release(), status.st_dev, status.st_ino};
}

void remove_socket_file(const std::filesystem::path& path, const SocketFile& file) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) return;
    if (status.st_dev == file.dev && status.st_ino == file.ino) ::unlink(path.c_str());
}

}  // namespace shmifd::control
