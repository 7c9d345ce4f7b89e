// The send side of a connection: what may go out now (window, cwnd, Nagle, silly-window
// avoidance), segments with their options, the window we offer, RSTs and challenge ACKs.
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/seq.hpp"

namespace netstack::tcp {

using wire::TcpRepr;
namespace flag = wire::tcp_flag;

std::uint32_t Connection::timestamp_now(Instant now) const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    return static_cast<std::uint32_t>(ms.count()) + ts_offset_;
}

std::uint32_t Connection::max_payload() const {
    const std::uint32_t mss = send_mss();
    const std::uint32_t options = ts_ok_ ? wire::tcp_timestamps_option_len : 0;
    return mss > options + 8 ? mss - options : 8;
}

std::uint32_t Connection::fin_seq() const {
    return send_base_ + static_cast<std::uint32_t>(send_.size());
}

bool Connection::fin_sent() const {
    return fin_queued_ && seq_gt(snd_max_, fin_seq());
}

// The window to offer: the free receive space, never shrinking the right edge already
// offered (RFC 9293 3.8.6.2.2 says not to) and moving it only by a useful amount (receiver
// silly-window avoidance: min(half the buffer, MSS)). It is always a whole number of the
// scaled field's units, so the edge recorded in rcv_adv_ is exactly the one the peer reads:
// were the field rounded up past it, the peer could fill a window we do not know we offered
// and send its ACKs from beyond our edge, where we would drop them.
std::uint32_t Connection::advertise_window() {
    const std::uint32_t offered = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    const std::uint32_t unit = std::uint32_t{1} << rcv_wscale_;
    const std::size_t max_field = std::size_t{0xffff} << rcv_wscale_;
    auto window =
        static_cast<std::uint32_t>(std::min({receive_.free(), max_field, std::size_t{1} << 30}));
    window = window / unit * unit;  // no promise beyond the free space
    const std::uint32_t step =
        std::min<std::uint32_t>(static_cast<std::uint32_t>(receive_.capacity() / 2), local_mss_);
    // Keeping the edge may need up to unit - 1 bytes more than is free (RFC 7323 2.4's
    // rounding); the receive buffer takes them (it holds whatever lies inside rcv_adv_).
    if (window < offered || window - offered < step) window = (offered + unit - 1) / unit * unit;
    rcv_adv_ = rcv_nxt_ + window;
    return window;
}

std::uint16_t Connection::window_field(bool syn) {
    const std::uint32_t window = advertise_window();
    // RFC 7323 2.2: the window in a SYN is never scaled (a smaller edge than rcv_adv_ for
    // the peer, which is safe).
    if (syn) return static_cast<std::uint16_t>(std::min<std::uint32_t>(window, 0xffff));
    return static_cast<std::uint16_t>(window >> rcv_wscale_);
}

void Connection::send_segment(std::uint32_t seq, std::uint8_t flags,
                              std::span<const std::byte> data, Instant now, bool with_syn_options) {
    const TcpConfig& config = host_.tcp_config();
    TcpRepr seg{.src_port = tuple_.local.port,
                .dst_port = tuple_.remote.port,
                .seq = seq,
                .ack = (flags & flag::ack) ? rcv_nxt_ : 0,
                .flags = flags,
                .payload = data};
    const bool syn = (flags & flag::syn) != 0;
    seg.window = window_field(syn);
    if (syn && with_syn_options) {
        seg.mss = local_mss_;
        // An active open offers what the config allows; a SYN-ACK only what the SYN offered.
        const bool offer_scale = passive_ ? wscale_ok_ : config.window_scaling;
        if (offer_scale) seg.window_scale = rcv_wscale_;
        const bool offer_ts = passive_ ? ts_ok_ : config.timestamps;
        if (offer_ts) seg.timestamps = wire::TcpTimestamps{timestamp_now(now), ts_recent_};
        seg.sack_permitted = passive_ ? sack_ok_ : config.sack;
    } else if (!(flags & flag::rst)) {
        // RFC 9293 3.8.5: every segment before our urgent pointer carries it.
        const auto pointer = syn ? std::nullopt : urgent_out_.pointer(seq, snd_max_);
        if (pointer) {
            seg.flags |= flag::urg;
            seg.urgent = *pointer;
        }
        if (ts_ok_) seg.timestamps = wire::TcpTimestamps{timestamp_now(now), ts_recent_};
        if (sack_ok_ && (flags & flag::ack) && !syn) {
            add_sack_blocks(seg);
            // Options and data together stay within the MSS (the segment must fit the MTU
            // it was sized for, DF being set): blocks go first.
            while (seg.sack_count > 0 && seg.options_len() + data.size() > send_mss())
                --seg.sack_count;
        }
    }
    if (flags & flag::ack) {
        last_ack_sent_ = rcv_nxt_;
        segments_unacked_ = 0;
        short_unacked_ = false;
        ack_now_ = false;
        delack_at_.reset();
    }
    ++counters_.segments_out;
    ++host_.tcp_stats().tx_segments;
    host_.transmit(*this, seg, now);
}

// RFC 2018 4: the block holding the most recently received segment first, then the others
// (as many as the option space takes: TcpRepr cuts the list).
void Connection::add_sack_blocks(wire::TcpRepr& seg) const {
    if (receive_.out_of_order_segments() == 0) return;
    const auto blocks = receive_.out_of_order_blocks();
    std::size_t first = 0;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const std::uint32_t left = rcv_nxt_ + static_cast<std::uint32_t>(blocks[i].offset);
        if (seq_in(last_out_of_order_, left, left + static_cast<std::uint32_t>(blocks[i].len)))
            first = i;
    }
    auto put = [&](const ReceiveBuffer::Block& b) {
        if (seg.sack_count >= wire::tcp_max_sack_blocks) return;
        const std::uint32_t left = rcv_nxt_ + static_cast<std::uint32_t>(b.offset);
        seg.sack[seg.sack_count++] = {left, left + static_cast<std::uint32_t>(b.len)};
    };
    put(blocks[first]);
    for (std::size_t i = 0; i < blocks.size(); ++i)
        if (i != first) put(blocks[i]);
}

void Connection::send_syn(Instant now) {
    const std::uint8_t flags =
        state_ == TcpState::syn_sent ? flag::syn : std::uint8_t(flag::syn | flag::ack);
    // Karn: only the first transmission is timed.
    if (retries_ == 0) {
        rtt_seq_ = iss_;
        rtt_start_ = now;
    } else {
        rtt_seq_.reset();
        ++counters_.retransmits;
        ++host_.tcp_stats().retransmits;
    }
    send_segment(iss_, flags, {}, now, true);
    snd_nxt_ = iss_ + 1;
    snd_max_ = seq_max(snd_max_, snd_nxt_);
    if (!rto_at_) restart_rto(now);
}

void Connection::send_reset(std::uint32_t seq, Instant now) {
    ++host_.tcp_stats().tx_resets;
    send_segment(seq, flag::rst | flag::ack, {}, now);
}

// RFC 5961 3.2, 4.2, 5.2: an ACK telling the peer where we are, within the stack's budget.
void Connection::challenge_ack(Instant now) {
    if (!host_.take_challenge_ack(now)) {
        ++host_.tcp_stats().challenge_acks_limited;
        return;
    }
    ++host_.tcp_stats().challenge_acks;
    send_ack(now);
}

std::uint32_t Connection::send_data_at(std::uint32_t seq, std::uint32_t max_len, Instant now) {
    const std::uint32_t offset = data_offset(seq);
    const auto data = send_.peek(offset, std::min(max_len, max_payload()));
    const auto len = static_cast<std::uint32_t>(data.size());
    std::uint8_t flags = flag::ack;
    if (len > 0 && offset + len == send_.size()) flags |= flag::psh;
    const bool fin = fin_queued_ && seq + len == fin_seq();
    if (fin) flags |= flag::fin;
    if (len == 0 && !fin) return 0;
    if (seq_lt(seq, snd_max_)) {
        ++counters_.retransmits;
        counters_.bytes_retransmitted += len;
        ++host_.tcp_stats().retransmits;
        if (rtt_seq_ && seq_le(seq, *rtt_seq_)) rtt_seq_.reset();  // Karn
    } else if (!ts_ok_ && !rtt_seq_ && len > 0) {
        rtt_seq_ = seq;
        rtt_start_ = now;
    }
    counters_.bytes_sent += len;
    if (len > 0 && now - last_data_in_ < host_.tcp_config().delayed_ack) interactive_ = true;
    send_segment(seq, flags, data, now);
    const std::uint32_t used = len + (fin ? 1 : 0);
    if (in_recovery_) prr_out_ += used;
    snd_max_ = seq_max(snd_max_, seq + used);
    if (!rto_at_) restart_rto(now);
    return used;
}

void Connection::output(Instant now) {
    bool sent = false;
    bool may_send = false;
    switch (state_) {
        case TcpState::established:
        case TcpState::close_wait:
        case TcpState::fin_wait_1:
        case TcpState::closing:
        case TcpState::last_ack:
            may_send = true;
            break;
        case TcpState::fin_wait_2:
        case TcpState::time_wait:
            break;
        default:
            return;
    }
    // RFC 6675 recovery sends by its pipe estimate instead (sack_recovery.cpp).
    if (may_send && sack_ok_ && in_recovery_) {
        sent = sack_output(now);
        may_send = false;
    }
    for (int guard = 0; may_send && guard < 1 << 16; ++guard) {
        // Outside recovery at least one segment may always be in flight (after an RTO,
        // cwnd is one MSS); in recovery the inflated cwnd rules (RFC 6582).
        const std::uint32_t window = std::min(snd_wnd_, cc_->cwnd);
        const std::uint32_t limit = snd_una_ + window;
        const std::uint32_t usable = seq_gt(limit, snd_nxt_) ? limit - snd_nxt_ : 0;
        // Going back after a timeout, data the peer SACKed since is skipped (RFC 6675 5.1:
        // use the SACK information that arrives during the recovery after an RTO).
        std::uint32_t sacked_at = snd_max_;
        if (sack_ok_ && seq_lt(snd_nxt_, snd_max_)) {
            if (const auto r = sack_board_.range_at(snd_nxt_)) {
                snd_nxt_ = r->right;
                continue;
            }
            sacked_at = sack_board_.next_sacked(snd_nxt_, snd_max_);
        }
        const std::uint32_t offset = data_offset(snd_nxt_);
        std::uint32_t available =
            offset < send_.size() ? static_cast<std::uint32_t>(send_.size()) - offset : 0;
        const bool before_sacked = sacked_at != snd_max_ && sacked_at - snd_nxt_ < available;
        if (before_sacked) available = sacked_at - snd_nxt_;
        const std::uint32_t len = std::min({available, usable, max_payload()});
        // The FIN rides on the segment that carries the last byte (or alone), window or not.
        const bool fin_due =
            fin_queued_ && seq_le(snd_nxt_, fin_seq()) && snd_nxt_ + len == fin_seq();
        if (!fin_due) {
            if (len == 0) break;
            // Sender silly-window avoidance (RFC 9293 3.8.6.2.1) and Nagle (RFC 896): a
            // short segment only when it empties the buffer and nothing is in flight (or
            // Nagle is off), or when it is at least half the largest window seen.
            const bool empties = len == available;  // or reaches SACKed data
            // Urgent data is not held back (as Linux's tcp_nagle_test).
            const bool idle =
                snd_nxt_ == snd_una_ || options_.no_delay || before_sacked || urgent_out_.active();
            const bool half_window = len >= max_snd_wnd_ / 2;
            if (len < max_payload() && !((empties && idle) || half_window || sws_override_)) break;
        }
        const std::uint32_t used = send_data_at(snd_nxt_, len, now);
        if (used == 0) break;
        snd_nxt_ += used;
        sent = true;
        if (fin_due) break;
    }
    // Data waiting and nothing in flight, so no ACK will come to send it: a zero window is
    // probed (RFC 9293 3.8.6.1), one too small to use is used after all (silly-window
    // avoidance's override timeout, 3.8.6.2.1): its update may have been lost.
    const bool waiting = data_offset(snd_nxt_) < send_.size() || (fin_queued_ && !fin_sent());
    if (may_send && waiting && snd_una_ == snd_max_ && !persist_at_) {
        rto_at_.reset();
        persist_at_ = now + rtt_.rto();
    }
    if (!sent && ack_now_) send_ack(now);
}

}  // namespace netstack::tcp
