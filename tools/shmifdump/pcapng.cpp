#include "pcapng.hpp"

#include <fmt/format.h>

#include <mutex>

// libwiretap's headers are C with GLib; they are included as system headers (see
// CMakeLists.txt) and only in this file.
extern "C" {
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
}

namespace shmifdump {
namespace {

void init_wiretap() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Without ws_log_init, wsutil logs every debug message to stderr.
        ws_log_init("shmifdump", nullptr);
        ws_log_set_level(LOG_LEVEL_WARNING);
        wtap_init(FALSE);
    });
}

std::string wtap_error(int err, gchar* err_info) {
    std::string text = wtap_strerror(err);
    if (err_info != nullptr) {
        text += fmt::format(" ({})", err_info);
        g_free(err_info);
    }
    return text;
}

// Nanoseconds to the units of an interface with `per_second` time units per second.
std::uint64_t to_units(std::uint64_t ns, std::uint64_t per_second) {
    return per_second >= 1'000'000'000U ? ns : ns / (1'000'000'000U / per_second);
}

// Owns what the conversion opened, whatever way it ends.
struct Session {
    wtap* in = nullptr;
    wtap_dumper* out = nullptr;
    wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
    bool params_set = false;
    wtap_rec rec{};
    Buffer buf{};
    bool rec_set = false;

    ~Session() {
        if (out != nullptr) {
            int err = 0;
            gchar* info = nullptr;
            wtap_dump_close(out, nullptr, &err, &info);
            g_free(info);
        }
        if (rec_set) {
            wtap_rec_cleanup(&rec);
            ws_buffer_free(&buf);
        }
        if (params_set) wtap_dump_params_cleanup(&params);
        if (in != nullptr) wtap_close(in);
    }
};

}  // namespace

std::string convert_to_pcapng(const std::string& spool, const std::string& target,
                              const InterfaceInfo& info, const InterfaceStats& stats) {
    init_wiretap();
    Session s;
    int err = 0;
    gchar* err_info = nullptr;
    s.in = wtap_open_offline(spool.c_str(), WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    if (s.in == nullptr) return "reading the spool: " + wtap_error(err, err_info);

    // The spool's one interface (link type, snap length, time resolution), given a name and
    // the statistics before the dumper copies it: see pcapng.hpp for why it must be now.
    wtap_dump_params_init(&s.params, s.in);
    s.params_set = true;
    if (s.params.idb_inf == nullptr || s.params.idb_inf->interface_data->len != 1)
        return "the spool has no interface description";
    wtap_block_t idb = g_array_index(s.params.idb_inf->interface_data, wtap_block_t, 0);
    auto* idb_mand = static_cast<wtapng_if_descr_mandatory_t*>(wtap_block_get_mandatory_data(idb));
    wtap_block_add_string_option(idb, OPT_IDB_NAME, info.name.data(), info.name.size());
    if (!info.description.empty())
        wtap_block_add_string_option(idb, OPT_IDB_DESCRIPTION, info.description.data(),
                                     info.description.size());
    if (!info.filter.empty()) {
        std::string text = info.filter;
        if_filter_opt_t filter{};
        filter.type = if_filter_pcap;
        filter.data.filter_str = text.data();
        wtap_block_add_if_filter_option(idb, OPT_IDB_FILTER, &filter);  // copies the string
    }
    // if_tsresol: the IDB carries the spool's resolution (6 or 9); say it explicitly.
    wtap_block_add_uint8_option(idb, OPT_IDB_TSRESOL,
                                idb_mand->time_units_per_second >= 1'000'000'000U ? 9 : 6);

    const std::uint64_t units = idb_mand->time_units_per_second;
    wtap_block_t isb = wtap_block_create(WTAP_BLOCK_IF_STATISTICS);
    auto* isb_mand = static_cast<wtapng_if_stats_mandatory_t*>(wtap_block_get_mandatory_data(isb));
    const std::uint64_t at = to_units(stats.end_ns, units);
    isb_mand->interface_id = 0;
    isb_mand->ts_high = static_cast<guint32>(at >> 32);
    isb_mand->ts_low = static_cast<guint32>(at & 0xffffffffU);
    wtap_block_add_uint64_option(isb, OPT_ISB_STARTTIME, to_units(stats.start_ns, units));
    wtap_block_add_uint64_option(isb, OPT_ISB_ENDTIME, at);
    wtap_block_add_uint64_option(isb, OPT_ISB_IFRECV, stats.received);
    wtap_block_add_uint64_option(isb, OPT_ISB_IFDROP, stats.dropped);
    wtap_block_add_uint64_option(isb, OPT_ISB_FILTERACCEPT, stats.accepted);
    wtap_block_add_uint64_option(isb, OPT_ISB_USRDELIV, stats.delivered);
    if (!stats.comment.empty())
        wtap_block_add_string_option(isb, OPT_COMMENT, stats.comment.data(), stats.comment.size());
    if (idb_mand->interface_statistics == nullptr)
        idb_mand->interface_statistics = g_array_new(FALSE, FALSE, sizeof(wtap_block_t));
    g_array_append_val(idb_mand->interface_statistics, isb);  // the IDB owns it now
    idb_mand->num_stat_entries = static_cast<guint8>(idb_mand->interface_statistics->len);

    const int type = wtap_pcapng_file_type_subtype();
    s.out =
        target == "-"
            ? wtap_dump_open_stdout(type, WTAP_UNCOMPRESSED, &s.params, &err, &err_info)
            : wtap_dump_open(target.c_str(), type, WTAP_UNCOMPRESSED, &s.params, &err, &err_info);
    if (s.out == nullptr) return wtap_error(err, err_info);

    wtap_rec_init(&s.rec);
    ws_buffer_init(&s.buf, 65536);
    s.rec_set = true;
    gint64 offset = 0;
    while (wtap_read(s.in, &s.rec, &s.buf, &err, &err_info, &offset)) {
        if (!wtap_dump(s.out, &s.rec, ws_buffer_start_ptr(&s.buf), &err, &err_info))
            return wtap_error(err, err_info);
        wtap_rec_reset(&s.rec);
    }
    if (err != 0) return "reading the spool: " + wtap_error(err, err_info);
    wtap_dumper* out = s.out;
    s.out = nullptr;
    if (!wtap_dump_close(out, nullptr, &err, &err_info)) return wtap_error(err, err_info);
    return {};
}

}  // namespace shmifdump
