// The C interface: handles wrapping the C++ objects, errors as negative numbers, every
// pointer checked, no exception let through. Nothing here allocates outside the handle
// constructors: frames and views cross in fixed chunks on the stack.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <optional>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/shmif.h"
#include "shmif/writer.hpp"

struct shmif_bus {
    shmif::Bus bus;
};
struct shmif_writer {
    shmif::Writer writer;
    std::optional<shmif::SendBatch> batch;  // open between shmif_acquire() and shmif_commit()
};
struct shmif_cursor {
    shmif::Cursor cursor;
};

namespace {

int to_c(const shmif::Error& e) {
    return -static_cast<int>(e.code);
}
static_assert(static_cast<int>(shmif::Errc::io_error) == -SHMIF_EIO);
static_assert(static_cast<int>(shmif::Errc::fenced) == -SHMIF_EFENCED);
static_assert(static_cast<int>(shmif::Errc::interrupted) == -SHMIF_EINTR);
static_assert(static_cast<int>(shmif::Errc::frame_too_short) == -SHMIF_ETOOSHORT);
static_assert(shmif::kMinFrame == SHMIF_MIN_FRAME);
constexpr int kLastError = SHMIF_ETOOSHORT;

// C timeouts: 0 = do not wait, negative = forever (long enough not to overflow a deadline).
std::chrono::nanoseconds to_timeout(int64_t timeout_ns) {
    return timeout_ns < 0 ? std::chrono::nanoseconds::max() / 2
                          : std::chrono::nanoseconds(timeout_ns);
}

// No exception crosses into C: the library's allocations failing (std::bad_alloc) or any
// other exception from below is SHMIF_EIO.
template <class Fn>
int guarded(Fn&& fn) noexcept {
    try {
        return fn();
    } catch (...) {
        return SHMIF_EIO;
    }
}

// An enum from C as the integer it holds: C may store any int in it, and loading a value
// outside a C++ enum's range is undefined behaviour, so its bytes are read instead.
template <class Enum>
int raw_enum(const Enum& e) {
    static_assert(sizeof(Enum) == sizeof(int));
    int v = 0;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

// How many frames cross between the C and C++ structures at a time.
constexpr std::size_t kChunk = 32;

void copy_out(const shmif::Frame& from, shmif_frame& to) {
    to.len = from.len;
    to.orig_len = from.orig_len;
    to.sender = from.sender;
    to.time_ns = from.time_ns;
}

// Receives into frames[0..n): the first chunk as `first` says (wait or not), the rest
// without waiting, while chunks come back full.
template <class First>
int receive_chunks(shmif::Cursor& cursor, shmif_frame* frames, std::size_t n, First&& first) {
    std::array<shmif::Frame, kChunk> chunk;
    std::size_t done = 0;
    while (done < n) {
        const std::size_t want = std::min(kChunk, n - done);
        for (std::size_t i = 0; i < want; ++i)
            chunk[i] = {static_cast<std::byte*>(frames[done + i].buf), frames[done + i].cap};
        std::span<shmif::Frame> out(chunk.data(), want);
        std::size_t got = 0;
        if (done == 0) {
            auto r = first(out);
            if (!r) return r.error().code == shmif::Errc::timed_out ? 0 : to_c(r.error());
            got = *r;
        } else {
            got = cursor.receive(out);
        }
        for (std::size_t i = 0; i < got; ++i)
            copy_out(chunk[i], frames[done + i]);
        done += got;
        if (got < want) break;
    }
    return static_cast<int>(done);
}

}  // namespace

extern "C" {

const char* shmif_strerror(int err) {
    if (err == 0) return "success";
    if (err < 0 && err >= kLastError) return shmif::errc_name(static_cast<shmif::Errc>(-err));
    return "unknown error";
}

int shmif_bus_create(const char* path, const shmif_create_opts* opts, shmif_bus** out) {
    if (path == nullptr || out == nullptr) return SHMIF_EINVAL;
    *out = nullptr;
    shmif::CreateOptions o;
    if (opts != nullptr) {
        const int format = raw_enum(opts->format);
        if (format != SHMIF_FORMAT_NATIVE && format != SHMIF_FORMAT_NETBSD) return SHMIF_EINVAL;
        o.format = format == SHMIF_FORMAT_NETBSD ? shmif::Format::netbsd : shmif::Format::native;
        o.size = opts->size;
        o.mode = opts->mode != 0 ? opts->mode : 0660;
        o.exclusive = opts->exclusive != 0;
        o.max_frame = opts->max_frame;
    }
    return guarded([&]() -> int {
        auto bus = shmif::Bus::create(path, o);
        if (!bus) return to_c(bus.error());
        *out = new shmif_bus{std::move(*bus)};
        return 0;
    });
}

int shmif_bus_open(const char* path, shmif_bus** out) {
    if (path == nullptr || out == nullptr) return SHMIF_EINVAL;
    *out = nullptr;
    return guarded([&]() -> int {
        auto bus = shmif::Bus::open(path);
        if (!bus) return to_c(bus.error());
        *out = new shmif_bus{std::move(*bus)};
        return 0;
    });
}

void shmif_bus_close(shmif_bus* bus) {
    delete bus;
}

uint32_t shmif_bus_max_frame(const shmif_bus* bus) {
    return bus != nullptr ? bus->bus.max_frame() : 0;
}

int shmif_writer_new(shmif_bus* bus, uint64_t sender, shmif_writer** out) {
    if (bus == nullptr || out == nullptr) return SHMIF_EINVAL;
    *out = nullptr;
    return guarded([&]() -> int {
        *out = new shmif_writer{shmif::Writer(bus->bus, {.sender = sender}), std::nullopt};
        return 0;
    });
}

uint64_t shmif_writer_sender(const shmif_writer* w) {
    return w != nullptr ? w->writer.sender() : 0;
}

void shmif_writer_free(shmif_writer* w) {
    delete w;  // an open batch commits in its destructor, before the writer goes
}

int shmif_send(shmif_writer* w, const void* frame, size_t len) {
    if (w == nullptr || frame == nullptr || w->batch) return SHMIF_EINVAL;
    return guarded([&]() -> int {
        auto r = w->writer.send({static_cast<const std::byte*>(frame), len});
        return r ? 0 : to_c(r.error());
    });
}

int shmif_send_batch(shmif_writer* w, const shmif_iov* frames, int n, int* err) {
    if (w == nullptr || n < 0 || (frames == nullptr && n > 0) || w->batch) return SHMIF_EINVAL;
    if (err != nullptr) *err = 0;
    if (n == 0) return 0;
    const auto stop = [&](int code, int sent) {
        if (err != nullptr) *err = code;
        return sent;
    };
    const int sent = guarded([&]() -> int {
        auto batch = w->writer.begin();
        if (!batch) return stop(to_c(batch.error()), 0);
        int refused = 0;  // why frames[acquired] could not be taken, when one could not
        int acquired = 0;
        for (; acquired < n; ++acquired) {
            const shmif_iov& f = frames[acquired];
            if (f.data == nullptr) {
                refused = SHMIF_EINVAL;
                break;
            }
            auto slot = batch->acquire(f.len);
            if (!slot) {
                refused = to_c(slot.error());
                break;
            }
            std::memcpy(slot->data(), f.data, f.len);
        }
        const auto published = static_cast<int>(batch->commit());
        if (auto failed = batch->failure()) return stop(to_c(*failed), published);
        return refused != 0 ? stop(refused, published) : published;
    });
    // Negative only from an exception (out of memory): say so for the first frame.
    return sent < 0 ? stop(sent, 0) : sent;
}

int shmif_acquire(shmif_writer* w, size_t len, void** slot) {
    if (w == nullptr || slot == nullptr) return SHMIF_EINVAL;
    *slot = nullptr;
    return guarded([&]() -> int {
        if (!w->batch) {
            // Refuse a bad length before taking the lock for it.
            if (len < SHMIF_MIN_FRAME) return SHMIF_ETOOSHORT;
            auto batch = w->writer.begin();
            if (!batch) return to_c(batch.error());
            w->batch.emplace(std::move(*batch));
        }
        auto got = w->batch->acquire(len);
        if (!got) return to_c(got.error());
        *slot = got->data();
        return 0;
    });
}

void shmif_drop_last(shmif_writer* w) {
    if (w != nullptr && w->batch) w->batch->drop_last();
}

int shmif_commit(shmif_writer* w) {
    if (w == nullptr) return SHMIF_EINVAL;
    if (!w->batch) return 0;
    return guarded([&]() -> int {
        const auto sent = static_cast<int>(w->batch->commit());
        const auto failed = w->batch->failure();
        w->batch.reset();
        return failed ? to_c(*failed) : sent;
    });
}

int shmif_cursor_new(shmif_bus* bus, uint64_t skip_sender, shmif_start start, shmif_cursor** out) {
    if (bus == nullptr || out == nullptr) return SHMIF_EINVAL;
    *out = nullptr;
    const int from = raw_enum(start);
    if (from != SHMIF_START_NEXT && from != SHMIF_START_OLDEST) return SHMIF_EINVAL;
    shmif::CursorOptions o;
    o.skip_sender = skip_sender;
    o.start = from == SHMIF_START_OLDEST ? shmif::StartAt::oldest : shmif::StartAt::next;
    return guarded([&]() -> int {
        *out = new shmif_cursor{shmif::Cursor(bus->bus, o)};
        return 0;
    });
}

void shmif_cursor_free(shmif_cursor* c) {
    delete c;
}

int shmif_recv(shmif_cursor* c, shmif_frame* frames, int n, int64_t timeout_ns) {
    if (c == nullptr || n < 0 || (frames == nullptr && n > 0)) return SHMIF_EINVAL;
    for (int i = 0; i < n; ++i)
        if (frames[i].buf == nullptr && frames[i].cap > 0) return SHMIF_EINVAL;
    if (n == 0) return 0;
    shmif::Cursor& cursor = c->cursor;
    const auto first =
        [&](std::span<shmif::Frame> out) -> std::expected<std::size_t, shmif::Error> {
        if (timeout_ns == 0) return cursor.receive(out);
        return cursor.receive_wait(out, to_timeout(timeout_ns));
    };
    return guarded(
        [&] { return receive_chunks(cursor, frames, static_cast<std::size_t>(n), first); });
}

int shmif_wait(shmif_cursor* c, int64_t timeout_ns) {
    if (c == nullptr) return SHMIF_EINVAL;
    return guarded([&]() -> int {
        if (timeout_ns == 0) return c->cursor.poll() ? 1 : 0;
        auto r = c->cursor.wait(to_timeout(timeout_ns));
        if (r) return 1;
        return r.error().code == shmif::Errc::timed_out ? 0 : to_c(r.error());
    });
}

void shmif_cursor_wake(shmif_cursor* c) {
    if (c != nullptr) c->cursor.wake();
}

int shmif_peek(shmif_cursor* c, shmif_view* views, int n) {
    if (c == nullptr || n < 0 || (views == nullptr && n > 0)) return SHMIF_EINVAL;
    return guarded([&]() -> int {
        std::array<shmif::FrameView, SHMIF_PEEK_MAX> seen;
        const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(n), seen.size());
        const std::size_t got = c->cursor.peek({seen.data(), want});
        for (std::size_t i = 0; i < got; ++i) {
            views[i] = {seen[i].data.data(), seen[i].data.size(), seen[i].sender,
                        seen[i].time_ns,     seen[i].seq,         seen[i].pos};
        }
        return static_cast<int>(got);
    });
}

int shmif_view_valid(const shmif_cursor* c, const shmif_view* view) {
    if (c == nullptr || view == nullptr) return 0;
    shmif::FrameView v;
    v.data = {static_cast<const std::byte*>(view->data), view->len};
    v.pos = view->pos;
    return c->cursor.still_valid(v) ? 1 : 0;
}

void shmif_advance(shmif_cursor* c, int count) {
    if (c != nullptr && count > 0) c->cursor.advance(static_cast<std::size_t>(count));
}

void shmif_cursor_set_spin(shmif_cursor* c, int64_t spin_ns) {
    if (c != nullptr) c->cursor.set_spin(std::chrono::nanoseconds(spin_ns < 0 ? 0 : spin_ns));
}

uint64_t shmif_cursor_lost(const shmif_cursor* c) {
    return c != nullptr ? c->cursor.stats().lost_frames : 0;
}

int shmif_cursor_fd(shmif_cursor* c) {
    if (c == nullptr) return SHMIF_EINVAL;
    const int fd = c->cursor.wait_fd();
    return fd >= 0 ? fd : SHMIF_EIO;
}

int shmif_cursor_prepare_wait(shmif_cursor* c) {
    if (c == nullptr) return SHMIF_EINVAL;
    if (c->cursor.wait_fd() < 0) return SHMIF_EIO;
    return c->cursor.prepare_wait() ? 1 : 0;
}

void shmif_cursor_finish_wait(shmif_cursor* c) {
    if (c != nullptr) c->cursor.finish_wait();
}

}  // extern "C"
