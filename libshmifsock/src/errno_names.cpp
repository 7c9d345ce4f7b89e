// Linux's errno names, both ways: the daemon names errors ("ECONNREFUSED"), the C API returns
// numbers. The canonical names come first; the aliases after them are only read.
#include "errno_names.hpp"

#include <cerrno>
#include <utility>

namespace shmifsock {
namespace {

struct Entry {
    std::string_view name;
    int number;
};

#define SHMIFSOCK_ERRNO(name) Entry{#name, name},
constexpr Entry kEntries[] = {
    SHMIFSOCK_ERRNO(EPERM) SHMIFSOCK_ERRNO(ENOENT) SHMIFSOCK_ERRNO(ESRCH) SHMIFSOCK_ERRNO(
        EINTR) SHMIFSOCK_ERRNO(EIO) SHMIFSOCK_ERRNO(ENXIO) SHMIFSOCK_ERRNO(E2BIG)
        SHMIFSOCK_ERRNO(ENOEXEC) SHMIFSOCK_ERRNO(EBADF) SHMIFSOCK_ERRNO(ECHILD) SHMIFSOCK_ERRNO(
            EAGAIN) SHMIFSOCK_ERRNO(ENOMEM) SHMIFSOCK_ERRNO(EACCES) SHMIFSOCK_ERRNO(EFAULT)
            SHMIFSOCK_ERRNO(ENOTBLK) SHMIFSOCK_ERRNO(EBUSY) SHMIFSOCK_ERRNO(EEXIST) SHMIFSOCK_ERRNO(
                EXDEV) SHMIFSOCK_ERRNO(ENODEV) SHMIFSOCK_ERRNO(ENOTDIR) SHMIFSOCK_ERRNO(EISDIR)
                SHMIFSOCK_ERRNO(EINVAL) SHMIFSOCK_ERRNO(ENFILE) SHMIFSOCK_ERRNO(
                    EMFILE) SHMIFSOCK_ERRNO(ENOTTY) SHMIFSOCK_ERRNO(ETXTBSY) SHMIFSOCK_ERRNO(EFBIG)
                    SHMIFSOCK_ERRNO(ENOSPC) SHMIFSOCK_ERRNO(ESPIPE) SHMIFSOCK_ERRNO(
                        EROFS) SHMIFSOCK_ERRNO(EMLINK) SHMIFSOCK_ERRNO(EPIPE) SHMIFSOCK_ERRNO(EDOM)
                        SHMIFSOCK_ERRNO(ERANGE) SHMIFSOCK_ERRNO(EDEADLK) SHMIFSOCK_ERRNO(
                            ENAMETOOLONG) SHMIFSOCK_ERRNO(ENOLCK) SHMIFSOCK_ERRNO(ENOSYS)
                            SHMIFSOCK_ERRNO(ENOTEMPTY) SHMIFSOCK_ERRNO(
                                ELOOP) SHMIFSOCK_ERRNO(ENOMSG) SHMIFSOCK_ERRNO(EIDRM) SHMIFSOCK_ERRNO(ECHRNG)
                                SHMIFSOCK_ERRNO(EL2NSYNC) SHMIFSOCK_ERRNO(EL3HLT) SHMIFSOCK_ERRNO(EL3RST) SHMIFSOCK_ERRNO(ELNRNG) SHMIFSOCK_ERRNO(
                                    EUNATCH) SHMIFSOCK_ERRNO(ENOCSI)
                                    SHMIFSOCK_ERRNO(
                                        EL2HLT) SHMIFSOCK_ERRNO(EBADE)
                                        SHMIFSOCK_ERRNO(EBADR) SHMIFSOCK_ERRNO(EXFULL) SHMIFSOCK_ERRNO(ENOANO) SHMIFSOCK_ERRNO(
                                            EBADRQC) SHMIFSOCK_ERRNO(EBADSLT)
                                            SHMIFSOCK_ERRNO(
                                                EBFONT) SHMIFSOCK_ERRNO(ENOSTR)
                                                SHMIFSOCK_ERRNO(
                                                    ENODATA) SHMIFSOCK_ERRNO(ETIME)
                                                    SHMIFSOCK_ERRNO(ENOSR) SHMIFSOCK_ERRNO(ENONET) SHMIFSOCK_ERRNO(ENOPKG) SHMIFSOCK_ERRNO(
                                                        EREMOTE) SHMIFSOCK_ERRNO(ENOLINK)
                                                        SHMIFSOCK_ERRNO(EADV) SHMIFSOCK_ERRNO(ESRMNT) SHMIFSOCK_ERRNO(
                                                            ECOMM) SHMIFSOCK_ERRNO(EPROTO)
                                                            SHMIFSOCK_ERRNO(EMULTIHOP) SHMIFSOCK_ERRNO(EDOTDOT) SHMIFSOCK_ERRNO(
                                                                EBADMSG) SHMIFSOCK_ERRNO(EOVERFLOW)
                                                                SHMIFSOCK_ERRNO(ENOTUNIQ) SHMIFSOCK_ERRNO(EBADFD) SHMIFSOCK_ERRNO(
                                                                    EREMCHG) SHMIFSOCK_ERRNO(ELIBACC)
                                                                    SHMIFSOCK_ERRNO(ELIBBAD) SHMIFSOCK_ERRNO(ELIBSCN) SHMIFSOCK_ERRNO(
                                                                        ELIBMAX) SHMIFSOCK_ERRNO(ELIBEXEC) SHMIFSOCK_ERRNO(EILSEQ)
                                                                        SHMIFSOCK_ERRNO(ERESTART) SHMIFSOCK_ERRNO(
                                                                            ESTRPIPE) SHMIFSOCK_ERRNO(EUSERS) SHMIFSOCK_ERRNO(ENOTSOCK)
                                                                            SHMIFSOCK_ERRNO(EDESTADDRREQ) SHMIFSOCK_ERRNO(
                                                                                EMSGSIZE) SHMIFSOCK_ERRNO(EPROTOTYPE)
                                                                                SHMIFSOCK_ERRNO(ENOPROTOOPT) SHMIFSOCK_ERRNO(
                                                                                    EPROTONOSUPPORT)
                                                                                    SHMIFSOCK_ERRNO(ESOCKTNOSUPPORT) SHMIFSOCK_ERRNO(
                                                                                        EOPNOTSUPP) SHMIFSOCK_ERRNO(EPFNOSUPPORT)
                                                                                        SHMIFSOCK_ERRNO(EAFNOSUPPORT) SHMIFSOCK_ERRNO(EADDRINUSE) SHMIFSOCK_ERRNO(EADDRNOTAVAIL) SHMIFSOCK_ERRNO(ENETDOWN) SHMIFSOCK_ERRNO(ENETUNREACH) SHMIFSOCK_ERRNO(ENETRESET) SHMIFSOCK_ERRNO(ECONNABORTED) SHMIFSOCK_ERRNO(ECONNRESET) SHMIFSOCK_ERRNO(ENOBUFS) SHMIFSOCK_ERRNO(EISCONN) SHMIFSOCK_ERRNO(ENOTCONN) SHMIFSOCK_ERRNO(ESHUTDOWN) SHMIFSOCK_ERRNO(ETOOMANYREFS) SHMIFSOCK_ERRNO(ETIMEDOUT) SHMIFSOCK_ERRNO(ECONNREFUSED) SHMIFSOCK_ERRNO(EHOSTDOWN) SHMIFSOCK_ERRNO(EHOSTUNREACH) SHMIFSOCK_ERRNO(
                                                                                            EALREADY) SHMIFSOCK_ERRNO(EINPROGRESS) SHMIFSOCK_ERRNO(ESTALE) SHMIFSOCK_ERRNO(EUCLEAN) SHMIFSOCK_ERRNO(ENOTNAM) SHMIFSOCK_ERRNO(ENAVAIL)
                                                                                            SHMIFSOCK_ERRNO(EISNAM) SHMIFSOCK_ERRNO(EREMOTEIO) SHMIFSOCK_ERRNO(
                                                                                                EDQUOT) SHMIFSOCK_ERRNO(ENOMEDIUM)
                                                                                                SHMIFSOCK_ERRNO(EMEDIUMTYPE) SHMIFSOCK_ERRNO(
                                                                                                    ECANCELED) SHMIFSOCK_ERRNO(ENOKEY)
                                                                                                    SHMIFSOCK_ERRNO(EKEYEXPIRED) SHMIFSOCK_ERRNO(
                                                                                                        EKEYREVOKED)
                                                                                                        SHMIFSOCK_ERRNO(
                                                                                                            EKEYREJECTED)
                                                                                                            SHMIFSOCK_ERRNO(
                                                                                                                EOWNERDEAD)
                                                                                                                SHMIFSOCK_ERRNO(
                                                                                                                    ENOTRECOVERABLE)
                                                                                                                    SHMIFSOCK_ERRNO(
                                                                                                                        ERFKILL)
                                                                                                                        SHMIFSOCK_ERRNO(
                                                                                                                            EHWPOISON)
    // aliases
    SHMIFSOCK_ERRNO(EWOULDBLOCK) SHMIFSOCK_ERRNO(EDEADLOCK) SHMIFSOCK_ERRNO(ENOTSUP)};
#undef SHMIFSOCK_ERRNO

}  // namespace

std::optional<int> errno_from_name(std::string_view name) {
    for (const auto& entry : kEntries)
        if (entry.name == name) return entry.number;
    return std::nullopt;
}

std::string_view errno_name(int number) {
    for (const auto& entry : kEntries)
        if (entry.number == number) return entry.name;
    return {};
}

}  // namespace shmifsock
