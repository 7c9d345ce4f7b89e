#include "isb_reader.hpp"

#include <mutex>

extern "C" {
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
}

namespace shmifdump::test {

std::optional<IsbValues> read_isb(const std::string& path) {
    static std::once_flag once;
    std::call_once(once, [] {
        ws_log_init("shmifdump_tests", nullptr);
        ws_log_set_level(LOG_LEVEL_WARNING);
        wtap_init(FALSE);
    });
    int err = 0;
    gchar* info = nullptr;
    wtap* w = wtap_open_offline(path.c_str(), WTAP_TYPE_AUTO, &err, &info, FALSE);
    g_free(info);
    if (w == nullptr) return std::nullopt;
    IsbValues v;
    wtap_rec rec;
    Buffer buf;
    wtap_rec_init(&rec);
    ws_buffer_init(&buf, 65536);
    gint64 off = 0;
    while (wtap_read(w, &rec, &buf, &err, &info, &off)) {  // ISBs are read on the way
        ++v.packets;
        wtap_rec_reset(&rec);
    }
    g_free(info);
    wtap_rec_cleanup(&rec);
    ws_buffer_free(&buf);
    std::optional<IsbValues> out;
    wtapng_iface_descriptions_t* idbs = wtap_file_get_idb_info(w);
    if (idbs != nullptr && idbs->interface_data->len > 0) {
        wtap_block_t idb = g_array_index(idbs->interface_data, wtap_block_t, 0);
        auto get64 = [](wtap_block_t b, guint id, std::uint64_t& into) {
            guint64 value = 0;
            if (wtap_block_get_uint64_option_value(b, id, &value) == WTAP_OPTTYPE_SUCCESS)
                into = value;
        };
        char* name = nullptr;
        if (wtap_block_get_string_option_value(idb, OPT_IDB_NAME, &name) == WTAP_OPTTYPE_SUCCESS)
            v.if_name = name;
        auto* m = static_cast<wtapng_if_descr_mandatory_t*>(wtap_block_get_mandatory_data(idb));
        if (m->num_stat_entries > 0) {
            wtap_block_t isb = g_array_index(m->interface_statistics, wtap_block_t, 0);
            get64(isb, OPT_ISB_IFRECV, v.ifrecv);
            get64(isb, OPT_ISB_IFDROP, v.ifdrop);
            get64(isb, OPT_ISB_FILTERACCEPT, v.filteraccept);
            get64(isb, OPT_ISB_USRDELIV, v.usrdeliv);
            get64(isb, OPT_ISB_STARTTIME, v.starttime);
            get64(isb, OPT_ISB_ENDTIME, v.endtime);
            char* comment = nullptr;
            if (wtap_block_get_nth_string_option_value(isb, OPT_COMMENT, 0, &comment) ==
                WTAP_OPTTYPE_SUCCESS)
                v.comment = comment;
            out = v;
        }
    }
    g_free(idbs);  // the descriptions inside belong to `w`
    wtap_close(w);
    return out;
}

}  // namespace shmifdump::test
