#include "capture.hpp"
#include "stop_signals.hpp"

#include <pcap/pcap.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "pcapng.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "summary.hpp"

namespace shmifdump {
namespace {

volatile std::sig_atomic_t g_report = 0;

extern "C" void on_report(int) {
    g_report = 1;
}

void install_signals() {
    shmif::tool::install_stop_handlers();
    struct ::sigaction sa {};
    ::sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a sleeping receive wakes early
    sa.sa_handler = on_report;
    ::sigaction(SIGUSR1, &sa, nullptr);
    sa.sa_handler = SIG_IGN;  // a closed pipe is an EPIPE write error, handled as the end
    ::sigaction(SIGPIPE, &sa, nullptr);
}

std::uint64_t wall_ns() {
    ::timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

// ------------------------------------------------------------------ batches and the queue

struct Record {
    std::uint64_t time_ns;
    std::uint64_t sender;
    std::uint32_t caplen;
    std::uint32_t len;
};

// Frames packed back to back, and the reader's running totals as of the batch's last frame.
struct Batch {
    std::vector<Record> records;
    std::vector<std::byte> bytes;
    std::uint64_t seen_total = 0;    // frames the cursor delivered so far
    std::uint64_t missed_total = 0;  // frames missed so far (bus overruns, queue full)

    void clear() {
        records.clear();
        bytes.clear();
    }
};

constexpr std::size_t kBatchFrames = 1024;
constexpr std::size_t kBatchBytes = 256U << 10;

class BatchQueue {
  public:
    explicit BatchQueue(std::size_t max_batches) : max_(max_batches) {}

    std::unique_ptr<Batch> get_empty() {
        {
            std::lock_guard lock(mu_);
            if (!free_.empty()) {
                auto b = std::move(free_.back());
                free_.pop_back();
                return b;
            }
        }
        auto b = std::make_unique<Batch>();
        b->records.reserve(kBatchFrames);
        b->bytes.reserve(kBatchBytes + (64U << 10));
        return b;
    }
    void recycle(std::unique_ptr<Batch> b) {
        b->clear();
        std::lock_guard lock(mu_);
        free_.push_back(std::move(b));
    }
    // False when the queue is full: the caller drops the batch.
    bool try_push(std::unique_ptr<Batch>& b) {
        {
            std::lock_guard lock(mu_);
            if (queue_.size() >= max_) return false;
            queue_.push_back(std::move(b));
        }
        cv_.notify_one();
        return true;
    }
    // Waits for room (--snapshot: the ring is not going anywhere, so nothing is dropped).
    void push_wait(std::unique_ptr<Batch>& b) {
        {
            std::unique_lock lock(mu_);
            room_.wait(lock, [&] { return queue_.size() < max_; });
            queue_.push_back(std::move(b));
        }
        cv_.notify_one();
    }
    void close() {
        {
            std::lock_guard lock(mu_);
            closed_ = true;
        }
        cv_.notify_one();
    }
    // Null when closed and drained.
    std::unique_ptr<Batch> pop() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return nullptr;
        auto b = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        room_.notify_one();
        return b;
    }
    bool empty() const {
        std::lock_guard lock(mu_);
        return queue_.empty();
    }

  private:
    mutable std::mutex mu_;
    std::condition_variable cv_;    // a batch was queued, or the queue closed
    std::condition_variable room_;  // a batch was taken
    std::deque<std::unique_ptr<Batch>> queue_;
    std::vector<std::unique_ptr<Batch>> free_;
    std::size_t max_;
    bool closed_ = false;
};

// What the reader and the writer tell each other and the reports.
struct Shared {
    std::atomic<std::uint64_t> written{0};    // frames the writer put out
    std::atomic<bool> writer_stopped{false};  // error, broken pipe, or -W reached with -G
};

struct Totals {
    std::uint64_t seen = 0;            // frames the cursor delivered
    std::uint64_t matched = 0;         // frames the filter accepted
    std::uint64_t bus_lost = 0;        // native: frames overwritten unread (exact)
    std::uint64_t bus_lost_bytes = 0;  // NetBSD: ring bytes skipped
    std::uint64_t bus_lost_est = 0;    // NetBSD: bus_lost_bytes in frames, estimated
    std::uint64_t overruns = 0;
    std::uint64_t queue_dropped = 0;  // frames dropped with whole batches, queue full
    bool netbsd = false;

    std::uint64_t missed() const { return (netbsd ? bus_lost_est : bus_lost) + queue_dropped; }
};

std::string totals_line(const Totals& t, std::uint64_t written) {
    std::string line = fmt::format(
        "{} frames captured, {} seen, {} matched, {} missed ({} bus overrun, {} queue full)",
        written, t.seen, t.matched, t.missed(), t.netbsd ? t.bus_lost_est : t.bus_lost,
        t.queue_dropped);
    if (t.netbsd && t.overruns > 0)
        line += fmt::format(
            "; NetBSD bus: the overrun count is estimated from {} bytes lost in {} overruns",
            t.bus_lost_bytes, t.overruns);
    return line;
}

// ------------------------------------------------------------------ sinks

struct FileTotals {  // what a file's ISB says: differences of the reader's totals
    std::uint64_t seen = 0;
    std::uint64_t missed = 0;
    std::uint64_t written = 0;
};

class Sink {
  public:
    virtual ~Sink() = default;
    // Writes a batch; false on an error (error() says it) or when the capture must end.
    virtual bool write(const Batch& batch) = 0;
    virtual bool flush() = 0;
    virtual bool finish(const Totals& totals) = 0;
    const std::string& error() const { return error_; }
    bool stop_quietly() const { return quiet_stop_; }

  protected:
    std::string error_;
    bool quiet_stop_ = false;  // broken pipe, or -W files done: end without an error
};

class TextSink final : public Sink {
  public:
    TextSink(bool nano, std::atomic<std::uint64_t>& written) : nano_(nano), written_(written) {}
    bool write(const Batch& batch) override {
        std::size_t off = 0;
        for (const Record& r : batch.records) {
            const std::span<const std::byte> data(batch.bytes.data() + off, r.caplen);
            off += r.caplen;
            const std::string line = frame_line(r.time_ns, r.sender, data, r.len, nano_);
            if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
                std::fputc('\n', stdout) == EOF)
                return fail();
            written_.fetch_add(1, std::memory_order_relaxed);
        }
        return true;
    }
    bool flush() override { return std::fflush(stdout) == 0 || fail(); }
    bool finish(const Totals&) override { return flush(); }

  private:
    bool fail() {
        if (errno == EPIPE)
            quiet_stop_ = true;
        else
            error_ = fmt::format("standard output: {}", std::strerror(errno));
        return false;
    }
    bool nano_;
    std::atomic<std::uint64_t>& written_;
};

class FileSink final : public Sink {
  public:
    FileSink(const Options& opts, std::string bus_desc, std::atomic<std::uint64_t>& written)
        : opts_(opts), bus_desc_(std::move(bus_desc)), written_(written) {
        dead_ = ::pcap_open_dead_with_tstamp_precision(
            DLT_EN10MB, static_cast<int>(opts.snaplen),
            opts.nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    }
    ~FileSink() override {
        if (dumper_ != nullptr) ::pcap_dump_close(dumper_);
        if (!spool_.empty()) ::unlink(spool_.c_str());
        if (dead_ != nullptr) ::pcap_close(dead_);
    }

    // Opens the first file now, so that an unwritable output is reported before capturing
    // (without -G; with -G the first name depends on the first frame's time).
    bool open_first() {
        if (opts_.rotate_secs != 0) return true;
        return open_file(opts_.write);
    }

    bool write(const Batch& batch) override {
        std::size_t off = 0;
        for (const Record& r : batch.records) {
            const std::byte* data = batch.bytes.data() + off;
            off += r.caplen;
            if (!rotate_for(r)) return false;
            ::pcap_pkthdr h{};
            h.ts.tv_sec = static_cast<::time_t>(r.time_ns / 1'000'000'000U);
            const std::uint64_t frac = r.time_ns % 1'000'000'000U;
            h.ts.tv_usec = static_cast<::suseconds_t>(opts_.nano ? frac : frac / 1000U);
            h.caplen = r.caplen;
            h.len = r.len;
            ::pcap_dump(reinterpret_cast<u_char*>(dumper_), &h,
                        reinterpret_cast<const u_char*>(data));
            file_bytes_ += sizeof(std::uint32_t) * 4 + r.caplen;  // pcap record header + data
            ++file_written_;
            written_.fetch_add(1, std::memory_order_relaxed);
            if (out_->error() != 0) return io_failed();
        }
        last_seen_ = batch.seen_total;
        last_missed_ = batch.missed_total;
        return true;
    }

    bool flush() override {
        if (dumper_ == nullptr || opts_.pcapng) return true;  // pcapng: converted at close
        if (!out_->flush()) return io_failed();
        return true;
    }

    bool finish(const Totals& t) override {
        last_seen_ = t.seen;
        last_missed_ = t.missed();
        if (dumper_ == nullptr && opts_.rotate_secs == 0) return true;
        if (dumper_ == nullptr) return true;  // -G and not one frame: no file, like tcpdump
        return close_file(&t);
    }

  private:
    // Closes the current file and opens the next one when this frame belongs elsewhere.
    bool rotate_for(const Record& r) {
        if (opts_.rotate_secs != 0) {
            const std::uint64_t slot = r.time_ns / 1'000'000'000U / opts_.rotate_secs;
            if (dumper_ == nullptr || slot != slot_) {
                if (dumper_ != nullptr) {
                    if (!close_file(nullptr)) return false;
                    ++time_files_;
                    // -G with -W: stop after W files (with -C too, -W is the ring per slot).
                    if (opts_.files != 0 && opts_.rotate_bytes == 0 && time_files_ >= opts_.files) {
                        quiet_stop_ = true;
                        return false;
                    }
                }
                slot_ = slot;
                size_index_ = 0;
                return open_file(time_name(slot * opts_.rotate_secs));
            }
        }
        if (opts_.rotate_bytes != 0 && file_bytes_ > opts_.rotate_bytes) {
            if (!close_file(nullptr)) return false;
            ++size_index_;
            if (opts_.files != 0) size_index_ %= opts_.files;  // a ring of W files
            const std::string base =
                opts_.rotate_secs != 0 ? time_name(slot_ * opts_.rotate_secs) : opts_.write;
            return open_file(base);
        }
        return true;
    }

    std::string time_name(std::uint64_t secs) const {
        const auto t = static_cast<std::time_t>(secs);
        std::tm tm{};
        ::localtime_r(&t, &tm);
        char buf[4096];
        // The user's pattern, as tcpdump's -G takes it: deliberately not a literal.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        const std::size_t n = std::strftime(buf, sizeof buf, opts_.write.c_str(), &tm);
#pragma GCC diagnostic pop
        return n == 0 ? opts_.write : std::string(buf, n);
    }

    bool open_file(const std::string& base) {
        name_ = rotated_name(base, size_index_, opts_.files, opts_.rotate_bytes != 0);
        std::string path = name_;
        if (opts_.pcapng) {
            // The spool sits beside the target (same file system) or, for standard output,
            // in $TMPDIR.
            if (name_ == "-") {
                const char* tmp = std::getenv("TMPDIR");
                spool_ = fmt::format("{}/shmifdump-{}.pcap.spool", tmp != nullptr ? tmp : "/tmp",
                                     ::getpid());
            } else {
                spool_ = fmt::format("{}.{}.spool", name_, ::getpid());
            }
            path = spool_;
        }
        OpenedOutput opened;
        if (const int err = open_output(path, opts_.io, opened); err != 0) {
            error_ = fmt::format("{}: {}", path, std::strerror(err));
            spool_.clear();
            return false;
        }
        if (!opened.note.empty() && !noted_) {
            fmt::print(stderr, "shmifdump: {}\n", opened.note);
            noted_ = true;
        }
        out_ = std::move(opened.out);
        stream_ = open_stream(*out_);
        dumper_ = stream_ != nullptr ? ::pcap_dump_fopen(dead_, stream_) : nullptr;
        if (dumper_ == nullptr) {
            error_ =
                fmt::format("{}: {}", path, stream_ ? ::pcap_geterr(dead_) : "fopencookie failed");
            return false;
        }
        file_bytes_ = 24;  // the pcap file header
        file_written_ = 0;
        file_start_ns_ = wall_ns();
        file_seen_ = last_seen_;
        file_missed_ = last_missed_;
        return true;
    }

    bool close_file(const Totals* final_totals) {
        ::pcap_dump_close(dumper_);  // fflush + fclose of the cookie stream: bytes reach out_
        dumper_ = nullptr;
        stream_ = nullptr;
        const bool ok = out_->close();
        const int err = out_->error();
        out_.reset();
        if (!ok) {
            errno = err;
            return io_failed();
        }
        if (!opts_.pcapng) return true;
        InterfaceInfo info{opts_.bus, bus_desc_, opts_.filter};
        InterfaceStats st;
        st.start_ns = file_start_ns_;
        st.end_ns = wall_ns();
        st.dropped = last_missed_ - file_missed_;
        st.received = (last_seen_ - file_seen_) + st.dropped;
        st.delivered = file_written_;
        st.accepted = file_written_;
        if (final_totals != nullptr && final_totals->netbsd && final_totals->bus_lost_bytes > 0)
            st.comment = fmt::format(
                "NetBSD-format bus: frames lost on the bus are estimated from {} bytes lost "
                "({} frames)",
                final_totals->bus_lost_bytes, final_totals->bus_lost_est);
        const std::string spool = std::move(spool_);
        spool_.clear();
        std::string why = convert_to_pcapng(spool, name_, info, st);
        ::unlink(spool.c_str());
        if (!why.empty()) {
            error_ = fmt::format("{}: {}", name_, why);
            return false;
        }
        return true;
    }

    bool io_failed() {
        const int err = out_ ? out_->error() : errno;
        if (err == EPIPE && name_ == "-") {
            quiet_stop_ = true;
        } else {
            error_ = fmt::format("{}: {}", opts_.pcapng ? spool_ : name_, std::strerror(err));
        }
        return false;
    }

    const Options& opts_;
    std::string bus_desc_;
    std::atomic<std::uint64_t>& written_;
    ::pcap_t* dead_ = nullptr;
    std::unique_ptr<Output> out_;
    std::FILE* stream_ = nullptr;
    ::pcap_dumper_t* dumper_ = nullptr;
    std::string name_;
    std::string spool_;
    bool noted_ = false;
    std::uint64_t file_bytes_ = 0;
    std::uint64_t file_written_ = 0;
    std::uint64_t file_start_ns_ = 0;
    std::uint64_t file_seen_ = 0, file_missed_ = 0;  // reader totals when the file opened
    std::uint64_t last_seen_ = 0, last_missed_ = 0;  // as of the last batch written
    std::uint64_t slot_ = 0;                         // -G: current time slot
    std::uint64_t size_index_ = 0;                   // -C: current file index
    std::uint64_t time_files_ = 0;                   // -G: files closed
};

// ------------------------------------------------------------------ the reader

int fail(const std::string& what, const std::string& why) {
    fmt::print(stderr, "shmifdump: {}: {}\n", what, why);
    return exit_failure;
}

}  // namespace

std::string rotated_name(const std::string& base, std::uint64_t index, std::uint32_t files,
                         bool size_rotation) {
    if (!size_rotation) return base;
    if (files == 0) return index == 0 ? base : fmt::format("{}{}", base, index);
    int width = 0;  // digits of files - 1, as tcpdump pads them
    for (std::uint32_t x = files - 1; x > 0; x /= 10)
        ++width;
    if (width == 0) return base;
    return fmt::format("{}{:0{}}", base, index, width);
}

int run_capture(const Options& opts) {
    auto bus = shmif::Bus::open(opts.bus);
    if (!bus) return fail(opts.bus, shmif::describe(bus.error()));
    const bool netbsd = bus->format() == shmif::Format::netbsd;

    // The filter: compiled by libpcap for Ethernet, run per frame with pcap_offline_filter.
    std::optional<::bpf_program> prog;
    ::pcap_t* dead = ::pcap_open_dead(DLT_EN10MB, static_cast<int>(opts.snaplen));
    if (!opts.filter.empty()) {
        ::bpf_program p{};
        if (::pcap_compile(dead, &p, opts.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
            fmt::print(stderr, "shmifdump: invalid filter '{}': {}\n", opts.filter,
                       ::pcap_geterr(dead));
            ::pcap_close(dead);
            return exit_usage;
        }
        prog = p;
    }
    struct FilterGuard {
        std::optional<::bpf_program>& p;
        ::pcap_t* d;
        ~FilterGuard() {
            if (p) ::pcap_freecode(&*p);
            ::pcap_close(d);
        }
    } filter_guard{prog, dead};

    Shared shared;
    const std::string bus_desc =
        fmt::format("shmif bus ({} format)", shmif::format_name(bus->format()));
    std::unique_ptr<Sink> sink;
    if (opts.write.empty()) {
        sink = std::make_unique<TextSink>(opts.nano, shared.written);
    } else {
        auto fs = std::make_unique<FileSink>(opts, bus_desc, shared.written);
        if (!fs->open_first()) {
            fmt::print(stderr, "shmifdump: {}\n", fs->error());
            return exit_failure;
        }
        sink = std::move(fs);
    }

    install_signals();
    const std::uint64_t cap =
        std::min<std::uint64_t>(opts.snaplen, std::max<std::uint32_t>(bus->max_frame(), 64));
    const std::size_t max_batches = std::max<std::size_t>(2, opts.queue_bytes / kBatchBytes);
    BatchQueue queue(max_batches);

    // The writer thread: drains the queue into the sink.
    bool writer_failed = false;
    std::thread writer([&] {
        bool ok = true;
        while (auto b = queue.pop()) {
            if (ok) {
                ok = sink->write(*b);
                if (ok && queue.empty()) ok = sink->flush();  // caught up: make it visible
                if (!ok) shared.writer_stopped.store(true, std::memory_order_release);
            }
            queue.recycle(std::move(b));
        }
        if (!ok) writer_failed = !sink->stop_quietly();
    });

    shmif::Cursor cursor(
        *bus,
        {.skip_sender = 0, .start = opts.snapshot ? shmif::StartAt::oldest : shmif::StartAt::next});
    constexpr std::size_t kRecv = 64;
    std::vector<std::byte> scratch(kRecv * cap);
    std::vector<shmif::Frame> frames(kRecv);
    for (std::size_t i = 0; i < kRecv; ++i) {
        frames[i].data = scratch.data() + i * cap;
        frames[i].capacity = cap;
    }

    std::uint64_t snapshot_left = 0;
    if (opts.snapshot) {
        snapshot_left = bus->info().frames_held;
        if (!opts.quiet)
            fmt::print(stderr, "shmifdump: reading {} ({} format): {} frames held\n", opts.bus,
                       shmif::format_name(bus->format()), snapshot_left);
    } else if (!opts.quiet) {
        fmt::print(stderr,
                   "shmifdump: listening on {} ({} format), link-type EN10MB (Ethernet), "
                   "snapshot length {} bytes\n",
                   opts.bus, shmif::format_name(bus->format()), opts.snaplen);
    }
    std::fflush(stderr);

    Totals t;
    t.netbsd = netbsd;
    std::uint64_t frame_bytes_seen = 0;  // NetBSD estimate of lost frames: mean record size
    auto update_lost = [&] {
        const auto& cs = cursor.stats();
        t.overruns = cs.overruns;
        t.bus_lost = cs.lost_frames;
        t.bus_lost_bytes = cs.lost_bytes;
        if (netbsd && cs.lost_bytes > 0) {
            // Each NetBSD record is a 24-byte header plus the frame.
            const std::uint64_t mean = t.seen > 0 ? 24 + frame_bytes_seen / t.seen : 24 + 64;
            t.bus_lost_est = (cs.lost_bytes + mean - 1) / mean;
        }
    };

    auto batch = queue.get_empty();
    std::uint64_t reported_missed = 0;
    auto last_warn = std::chrono::steady_clock::now() - std::chrono::seconds(2);
    auto push = [&] {
        if (batch->records.empty()) return;
        const std::size_t n = batch->records.size();
        batch->seen_total = t.seen;
        batch->missed_total = t.missed();
        if (opts.snapshot) {
            queue.push_wait(batch);
            batch = queue.get_empty();
        } else if (!queue.try_push(batch)) {
            t.queue_dropped += n;  // whole batch dropped: the writer is behind
            batch->clear();
        } else {
            batch = queue.get_empty();
        }
    };

    bool done = false;
    bool last_round = false;  // --snapshot: the ring is read out
    while (!done && shmif::tool::stop_requested == 0 &&
           !shared.writer_stopped.load(std::memory_order_acquire)) {
        if (g_report != 0) {
            g_report = 0;
            update_lost();
            fmt::print(stderr, "shmifdump: {}\n", totals_line(t, shared.written.load()));
        }
        std::size_t n = 0;
        if (opts.snapshot) {
            const std::size_t want =
                static_cast<std::size_t>(std::min<std::uint64_t>(kRecv, snapshot_left));
            n = want > 0 ? cursor.receive(std::span(frames).first(want)) : 0;
            snapshot_left -= n;
            if (n == 0 || snapshot_left == 0) last_round = true;  // after these frames
        } else {
            auto r = cursor.receive_wait(frames, std::chrono::milliseconds(100));
            n = r ? *r : 0;
        }
        for (std::size_t i = 0; i < n && !done; ++i) {
            const shmif::Frame& f = frames[i];
            ++t.seen;
            frame_bytes_seen += f.orig_len;
            if (prog) {
                ::pcap_pkthdr h{};
                h.caplen = static_cast<bpf_u_int32>(f.len);
                h.len = static_cast<bpf_u_int32>(f.orig_len);
                if (::pcap_offline_filter(&*prog, &h, reinterpret_cast<const u_char*>(f.data)) == 0)
                    continue;
            }
            ++t.matched;
            batch->records.push_back({f.time_ns, f.sender, static_cast<std::uint32_t>(f.len),
                                      static_cast<std::uint32_t>(f.orig_len)});
            batch->bytes.insert(batch->bytes.end(), f.data, f.data + f.len);
            if (opts.count != 0 && t.matched >= opts.count) done = true;
            if (batch->records.size() >= kBatchFrames || batch->bytes.size() >= kBatchBytes) push();
        }
        update_lost();
        if (last_round) done = true;
        if (n < kRecv || done) push();  // caught up (or finished): hand over what we have
        if (t.missed() > reported_missed && !opts.quiet) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last_warn >= std::chrono::seconds(1)) {
                fmt::print(stderr, "shmifdump: fell behind: {} frames missed so far\n", t.missed());
                last_warn = now;
                reported_missed = t.missed();
            }
        }
    }
    update_lost();
    push();
    queue.close();
    writer.join();

    bool ok = !writer_failed;
    if (ok && !shared.writer_stopped.load()) {
        ok = sink->finish(t);
        if (!ok && sink->stop_quietly()) ok = true;
    } else if (ok) {
        // Stopped quietly (-G -W done or a closed pipe): close what is open.
        (void)sink->finish(t);
    }
    if (!ok) {
        fmt::print(stderr, "shmifdump: {}\n", sink->error());
    }
    if (!opts.quiet || t.missed() > 0)
        fmt::print(stderr, "shmifdump: {}\n", totals_line(t, shared.written.load()));
    return ok ? exit_ok : exit_failure;
}

}  // namespace shmifdump
