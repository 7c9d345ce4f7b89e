// The C interface: handles wrapping the C++ objects, errors as negative numbers.
#include <chrono>
#include <cstring>
#include <new>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/shmif.h"
#include "shmif/writer.hpp"

struct shmif_bus {
    shmif::Bus bus;
};
struct shmif_writer {
    shmif::Writer writer;
};
struct shmif_cursor {
    shmif::Cursor cursor;
    std::vector<shmif::Frame> frames;
};

namespace {

int to_c(const shmif::Error& e) {
    return -static_cast<int>(e.code);
}
static_assert(static_cast<int>(shmif::Errc::io_error) == -SHMIF_EIO);
static_assert(static_cast<int>(shmif::Errc::fenced) == -SHMIF_EFENCED);

}  // namespace

extern "C" {

const char* shmif_strerror(int err) {
    if (err == 0) return "success";
    if (err < 0 && err >= SHMIF_EFENCED) return shmif::errc_name(static_cast<shmif::Errc>(-err));
    return "unknown error";
}

int shmif_bus_create(const char* path, const shmif_create_opts* opts, shmif_bus** out) {
    if (path == nullptr || out == nullptr) return SHMIF_EINVAL;
    shmif::CreateOptions o;
    if (opts != nullptr) {
        o.format =
            opts->format == SHMIF_FORMAT_NETBSD ? shmif::Format::netbsd : shmif::Format::native;
        o.size = opts->size;
        o.mode = opts->mode != 0 ? opts->mode : 0660;
        o.exclusive = opts->exclusive != 0;
        o.max_frame = opts->max_frame;
    }
    auto bus = shmif::Bus::create(path, o);
    if (!bus) return to_c(bus.error());
    *out = new (std::nothrow) shmif_bus{std::move(*bus)};
    return *out != nullptr ? 0 : SHMIF_EIO;
}

int shmif_bus_open(const char* path, shmif_bus** out) {
    if (path == nullptr || out == nullptr) return SHMIF_EINVAL;
    auto bus = shmif::Bus::open(path);
    if (!bus) return to_c(bus.error());
    *out = new (std::nothrow) shmif_bus{std::move(*bus)};
    return *out != nullptr ? 0 : SHMIF_EIO;
}

void shmif_bus_close(shmif_bus* bus) {
    delete bus;
}

uint32_t shmif_bus_max_frame(const shmif_bus* bus) {
    return bus->bus.max_frame();
}

int shmif_writer_new(shmif_bus* bus, uint64_t sender, shmif_writer** out) {
    if (bus == nullptr || out == nullptr) return SHMIF_EINVAL;
    *out = new (std::nothrow) shmif_writer{shmif::Writer(bus->bus, {.sender = sender})};
    return *out != nullptr ? 0 : SHMIF_EIO;
}

uint64_t shmif_writer_sender(const shmif_writer* w) {
    return w->writer.sender();
}

void shmif_writer_free(shmif_writer* w) {
    delete w;
}

int shmif_send(shmif_writer* w, const void* frame, size_t len) {
    auto r = w->writer.send({static_cast<const std::byte*>(frame), len});
    return r ? 0 : to_c(r.error());
}

int shmif_send_batch(shmif_writer* w, const shmif_iov* frames, int n) {
    if (n <= 0) return 0;
    auto batch = w->writer.begin();
    if (!batch) return to_c(batch.error());
    for (int i = 0; i < n; ++i) {
        auto slot = batch->acquire(frames[i].len);
        if (!slot && batch->failure()) break;
        if (slot) std::memcpy(slot->data(), frames[i].data, frames[i].len);
    }
    const std::size_t sent = batch->commit();
    if (auto failed = batch->failure()) return to_c(*failed);
    return static_cast<int>(sent);
}

int shmif_cursor_new(shmif_bus* bus, uint64_t skip_sender, shmif_start start, shmif_cursor** out) {
    if (bus == nullptr || out == nullptr) return SHMIF_EINVAL;
    shmif::CursorOptions o;
    o.skip_sender = skip_sender;
    o.start = start == SHMIF_START_OLDEST ? shmif::StartAt::oldest : shmif::StartAt::next;
    *out = new (std::nothrow) shmif_cursor{shmif::Cursor(bus->bus, o), {}};
    return *out != nullptr ? 0 : SHMIF_EIO;
}

void shmif_cursor_free(shmif_cursor* c) {
    delete c;
}

int shmif_recv(shmif_cursor* c, shmif_frame* frames, int n, int64_t timeout_ns) {
    if (n <= 0) return 0;
    auto& fs = c->frames;
    fs.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < fs.size(); ++i)
        fs[i] = {static_cast<std::byte*>(frames[i].buf), frames[i].cap, 0, 0, 0, 0};
    std::size_t got = 0;
    if (timeout_ns == 0) {
        got = c->cursor.receive(fs);
    } else {
        auto timeout = timeout_ns < 0 ? std::chrono::nanoseconds::max() / 2
                                      : std::chrono::nanoseconds(timeout_ns);
        auto r = c->cursor.receive_wait(fs, timeout);
        if (!r) return r.error().code == shmif::Errc::timed_out ? 0 : to_c(r.error());
        got = *r;
    }
    for (std::size_t i = 0; i < got; ++i) {
        frames[i].len = fs[i].len;
        frames[i].orig_len = fs[i].orig_len;
        frames[i].sender = fs[i].sender;
        frames[i].time_ns = fs[i].time_ns;
    }
    return static_cast<int>(got);
}

void shmif_cursor_set_spin(shmif_cursor* c, int64_t spin_ns) {
    c->cursor.set_spin(std::chrono::nanoseconds(spin_ns < 0 ? 0 : spin_ns));
}

uint64_t shmif_cursor_lost(const shmif_cursor* c) {
    return c->cursor.stats().lost_frames;
}

int shmif_cursor_fd(shmif_cursor* c) {
    return c->cursor.wait_fd();
}
int shmif_cursor_prepare_wait(shmif_cursor* c) {
    return c->cursor.prepare_wait() ? 1 : 0;
}
void shmif_cursor_finish_wait(shmif_cursor* c) {
    c->cursor.finish_wait();
}

}  // extern "C"
