// Segment arrival (RFC 9293 3.10.7) for a connection past LISTEN: SYN-SENT's rules, then
// for the synchronized states PAWS (RFC 7323 5), the sequence check, RST and SYN with RFC
// 5961's challenge ACKs, ACK processing (RFC 5961 5.2's range, RTT, NewReno recovery or
// RFC 6675's with SACK, window update), the urgent pointer, data into the receive buffer and
// the FIN.
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/seq.hpp"

namespace netstack::tcp {

using wire::TcpRepr;
namespace flag = wire::tcp_flag;

namespace {
// RFC 7323 5.5: a ts_recent idle this long is too old to reject anything with.
constexpr Duration paws_idle = std::chrono::hours(24 * 24);
}  // namespace

void Connection::input(const TcpRepr& seg, Instant now) {
    ++counters_.segments_in;
    counters_.sack_blocks_seen += seg.sack_count;
    if (state_ == TcpState::syn_sent) return input_syn_sent(seg, now);
    if (state_ == TcpState::closed || state_ == TcpState::listen) return;
    TcpStats& stats = host_.tcp_stats();
    const bool rst = seg.has(flag::rst);

    // RFC 7323 5.3 PAWS: an older timestamp than the last in-order one is an old duplicate.
    if (ts_ok_ && seg.timestamps && !rst && seq_lt(seg.timestamps->value, ts_recent_) &&
        now - ts_recent_time_ < paws_idle) {
        ++stats.drop_paws;
        if (host_.take_challenge_ack(now)) send_ack(now);
        return;
    }
    // RFC 5961 4: any SYN in a synchronized state gets a challenge ACK, except the peer's
    // retransmitted SYN in SYN-RECEIVED, which gets our SYN-ACK again.
    if (seg.has(flag::syn) && !rst) {
        if (state_ == TcpState::syn_received && seg.seq == irs_) {
            if (passive_ || !seg.has(flag::ack)) {
                send_segment(iss_, flag::syn | flag::ack, {}, now, true);
                return;
            }
            // Simultaneous open (RFC 9293 figure 8, line 5): the SYN-ACK's SYN is the one we
            // have; trimmed off, its ACK completes the handshake.
            wire::TcpRepr trimmed = seg;
            trimmed.flags &= static_cast<std::uint8_t>(~flag::syn);
            ++trimmed.seq;
            return input(trimmed, now);
        }
        challenge_ack(now);
        return;
    }
    // TIME-WAIT: a retransmitted FIN means our last ACK was lost: again, and 2 MSL anew.
    if (state_ == TcpState::time_wait && seg.has(flag::fin) && !rst) {
        send_ack(now);
        wait_at_ = now + host_.tcp_config().time_wait;
        return;
    }
    if (!acceptable(seg)) {
        ++stats.drop_out_of_window;
        // An ACK tells the peer what we expect (RFC 9293 3.10.7.4), within the budget that
        // also bounds challenge ACKs, so a flood is not answered one for one.
        if (!rst && host_.take_challenge_ack(now)) send_ack(now);
        return;
    }
    last_received_ = now;
    // RFC 7323 4.3: the timestamp to echo is the one of the segment that fills rcv_nxt.
    if (ts_ok_ && seg.timestamps && seq_le(seg.seq, last_ack_sent_)) {
        ts_recent_ = seg.timestamps->value;
        ts_recent_time_ = now;
    }
    if (rst) return input_rst(seg, now);
    if (!seg.has(flag::ack)) return;
    if (!input_ack(seg, now)) return;
    arm_keepalive(now);
    if (seg.has(flag::urg)) input_urgent(seg);

    const std::uint32_t data_seq = seg.seq;
    if (!seg.payload.empty()) input_data(seg, data_seq, seg.payload, now);
    if (state_ == TcpState::closed) return;
    if (seg.has(flag::fin) && !fin_received_)
        fin_at_ = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
    if (fin_at_ && !fin_received_ && rcv_nxt_ == *fin_at_) input_fin(now);
    output(now);
}

bool Connection::acceptable(const TcpRepr& seg) const {
    const std::uint32_t window = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    const std::uint32_t len = seg.seq_len();
    const std::uint32_t end = rcv_nxt_ + window;
    // A segment without data may sit at the right edge itself: a peer that filled our window
    // sends its ACKs from there (Linux's tcp_sequence() takes them too). Its ACK is processed.
    if (len == 0) return seq_le(rcv_nxt_, seg.seq) && seq_le(seg.seq, end);
    // RFC 9293 3.10.7.4: with a zero window, the ACK (and RST) of a segment at rcv_nxt is
    // still processed; its data is trimmed away.
    if (window == 0) return seg.seq == rcv_nxt_;
    return seq_in(seg.seq, rcv_nxt_, end) || seq_in(seg.seq + len - 1, rcv_nxt_, end);
}

void Connection::input_syn_sent(const TcpRepr& seg, Instant now) {
    TcpStats& stats = host_.tcp_stats();
    const bool rst = seg.has(flag::rst);
    if (seg.has(flag::ack) && (seq_le(seg.ack, iss_) || seq_gt(seg.ack, snd_max_))) {
        if (!rst) {  // <SEQ=SEG.ACK><CTL=RST>
            ++stats.tx_resets;
            send_segment(seg.ack, flag::rst, {}, now);
        }
        return;
    }
    if (rst) {
        // RFC 5961 3.2: in SYN-SENT a RST counts only when it acknowledges our SYN.
        if (!seg.has(flag::ack)) return;
        ++stats.rx_resets;
        return close_with(SocketError::connection_refused);
    }
    if (!seg.has(flag::syn)) return;
    irs_ = seg.seq;
    rcv_nxt_ = rcv_adv_ = seg.seq + 1;
    take_options(seg);
    if (ts_ok_) {
        ts_recent_ = seg.timestamps->value;
        ts_recent_time_ = now;
    }
    snd_wnd_ = max_snd_wnd_ = seg.window;  // unscaled in a SYN
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    if (!seg.has(flag::ack)) {
        // Simultaneous open (RFC 9293 3.5 figure 8): SYN-RECEIVED, SYN-ACK with our ISS.
        state_ = TcpState::syn_received;
        send_segment(iss_, flag::syn | flag::ack, {}, now, true);
        return;
    }
    snd_una_ = seg.ack;
    if (ts_ok_ && seg.timestamps->echo != 0)
        rtt_.sample(std::chrono::milliseconds(timestamp_now(now) - seg.timestamps->echo));
    else if (rtt_seq_)
        rtt_.sample(now - rtt_start_);
    rtt_seq_.reset();
    established(now);
    ack_now_ = true;
    output(now);
}

void Connection::input_rst(const TcpRepr& seg, Instant now) {
    // RFC 5961 3.2: only a RST exactly at rcv_nxt resets; one elsewhere in the window gets
    // a challenge ACK (a real peer answers it with an exact RST).
    if (seg.seq != rcv_nxt_) return challenge_ack(now);
    ++host_.tcp_stats().rx_resets;
    switch (state_) {
        case TcpState::syn_received:
            // Passive: the half-open connection just goes; active (simultaneous open):
            // refused, as RFC 9293 3.10.7.4 says.
            return close_with(passive_ ? std::nullopt
                                       : std::optional(SocketError::connection_refused));
        case TcpState::established:
        case TcpState::fin_wait_1:
        case TcpState::fin_wait_2:
        case TcpState::close_wait:
            return close_with(SocketError::connection_reset);
        default:
            return close_with(std::nullopt);
    }
}

bool Connection::fin_acked() const {
    return fin_sent() && seq_gt(snd_una_, fin_seq());
}

bool Connection::input_ack(const TcpRepr& seg, Instant now) {
    TcpStats& stats = host_.tcp_stats();
    if (state_ == TcpState::syn_received) {
        if (!seq_lt(snd_una_, seg.ack) || seq_gt(seg.ack, snd_max_)) {
            ++stats.tx_resets;  // <SEQ=SEG.ACK><CTL=RST>
            send_segment(seg.ack, flag::rst, {}, now);
            return false;
        }
        if (listener && listener->accept_queue.size() >= listener->backlog) {
            // As Linux: the handshake's ACK is dropped, the peer retransmits later.
            ++stats.drop_accept_queue_full;
            return false;
        }
        snd_una_ = seg.ack;
        if (ts_ok_ && seg.timestamps && seg.timestamps->echo != 0)
            rtt_.sample(std::chrono::milliseconds(timestamp_now(now) - seg.timestamps->echo));
        else if (rtt_seq_)
            rtt_.sample(now - rtt_start_);
        rtt_seq_.reset();
        snd_wl1_ = seg.seq - 1;  // force the window update below
        update_window(seg);
        established(now);
        if (passive_ && listener) host_.child_established(*listener, *this);
        if (!passive_) raise(socket_connected | socket_writable);
        return true;
    }
    // RFC 5961 5.2: an ACK outside [SND.UNA - MAX.SND.WND, SND.MAX] is dropped with a
    // challenge ACK; RFC 9293 says an ACK of something not yet sent gets an ACK.
    if (seq_gt(seg.ack, snd_max_) || seq_lt(seg.ack, snd_una_ - max_snd_wnd_)) {
        challenge_ack(now);
        return false;
    }
    const std::uint32_t scaled_window = std::uint32_t{seg.window} << snd_wscale_;
    const bool duplicate = seg.ack == snd_una_ && seg.payload.empty() && !seg.has(flag::fin) &&
                           scaled_window == snd_wnd_ && snd_una_ != snd_max_;
    if (sack_ok_) {
        sack_ack(seg, duplicate, now);  // RFC 6675 (sack_recovery.cpp)
    } else if (seq_lt(snd_una_, seg.ack)) {
        new_ack(seg, seg.ack - snd_una_, now);
    } else if (duplicate) {
        duplicate_ack(now);  // RFC 5681 2's definition
    }
    update_window(seg);

    switch (state_) {
        case TcpState::fin_wait_1:
            if (fin_acked()) {
                state_ = TcpState::fin_wait_2;
                send_.release_if_empty();  // everything sent is acknowledged, for good
                if (orphaned_) wait_at_ = now + host_.tcp_config().fin_wait_2_timeout;
            }
            break;
        case TcpState::closing:
            if (fin_acked()) enter_time_wait(now);
            break;
        case TcpState::last_ack:
            if (fin_acked()) {
                close_with(std::nullopt);
                return false;
            }
            break;
        default:
            break;
    }
    return true;
}

void Connection::new_ack(const TcpRepr& seg, std::uint32_t acked, Instant now) {
    // RFC 7661: the window grows only while it was used (at least half of it in flight),
    // so an application-limited sender does not build a cwnd the path never confirmed.
    const bool cwnd_limited = std::uint64_t{flight()} * 2 >= cc_->cwnd;
    std::uint32_t data_acked = acked;
    if (fin_sent() && seq_gt(seg.ack, fin_seq())) --data_acked;  // the FIN's sequence number
    data_acked = std::min<std::uint32_t>(data_acked, static_cast<std::uint32_t>(send_.size()));
    send_.consume(data_acked);
    send_base_ += data_acked;
    counters_.bytes_acked += data_acked;
    if (data_acked > 0) host_.forward_progress(*this, now);
    snd_una_ = seg.ack;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    urgent_out_.acknowledged(snd_una_);

    // RFC 6298 with RFC 7323 3 (RTTM: timestamps time every segment, even retransmitted
    // ones, as the echo is of the segment that arrived) or one timed segment (Karn).
    if (ts_ok_ && seg.timestamps && seg.timestamps->echo != 0) {
        rtt_.sample(std::chrono::milliseconds(timestamp_now(now) - seg.timestamps->echo));
    } else if (rtt_seq_ && seq_gt(seg.ack, *rtt_seq_)) {
        rtt_.sample(now - rtt_start_);
        rtt_seq_.reset();
    }
    rtt_.reset_backoff();
    retries_ = 0;

    const std::uint32_t mss = send_mss();
    if (sack_ok_) sack_board_.advance(snd_una_);
    if (in_recovery_ && sack_ok_) {
        if (seq_ge(seg.ack, recover_))
            sack_exit_recovery();
        else
            sack_partial_ack(now);
    } else if (in_recovery_) {
        if (seq_ge(seg.ack, recover_)) {
            // RFC 6582 3.2 step 3, full acknowledgment: deflate.
            cc_->cwnd = std::min(cc_->ssthresh, std::max(flight(), mss) + mss);
            in_recovery_ = false;
            dupacks_ = 0;
        } else {
            // Partial acknowledgment: the next hole is lost too; partial window deflation.
            send_data_at(snd_una_, max_payload(), now);
            cc_->cwnd = cc_->cwnd > data_acked ? cc_->cwnd - data_acked : mss;
            if (data_acked >= mss) cc_->cwnd += mss;
            restart_rto(now);
        }
    } else {
        dupacks_ = 0;
        if (cwnd_limited) cc_->on_ack(data_acked, now, rtt_.srtt());
    }
    if (snd_una_ == snd_max_)
        rto_at_.reset();
    else if (!in_recovery_)
        restart_rto(now);  // RFC 6298 5.3
    expand_send_buffer();
    if (send_blocked_ && send_free() > 0 && can_send()) {
        send_blocked_ = false;
        raise(socket_writable);
    }
}

void Connection::duplicate_ack(Instant now) {
    const std::uint32_t mss = send_mss();
    ++dupacks_;
    if (in_recovery_) {
        cc_->cwnd += mss;  // RFC 5681 3.2 step 4: each dupACK means a segment left
        return;
    }
    // RFC 6582 3.2 step 1: three duplicates, and the ACK covers more than `recover`
    // (no recovery for losses of the previous window).
    if (dupacks_ != 3 || seq_lt(snd_una_, recover_)) return;
    ++host_.tcp_stats().fast_retransmits;
    recover_ = snd_max_;
    cc_->on_loss(flight(), now);
    cc_->cwnd = cc_->ssthresh + 3 * mss;
    in_recovery_ = true;
    send_data_at(snd_una_, max_payload(), now);
    restart_rto(now);
}

void Connection::update_window(const TcpRepr& seg) {
    // RFC 9293 3.10.7.4: only a newer segment (by seq, then ack) updates the window.
    if (!(seq_lt(snd_wl1_, seg.seq) || (snd_wl1_ == seg.seq && seq_le(snd_wl2_, seg.ack)))) return;
    snd_wnd_ = std::uint32_t{seg.window} << snd_wscale_;
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    if (snd_wnd_ > 0 && persist_at_) {
        persist_at_.reset();
        window_probes_ = 0;
        rtt_.reset_backoff();
    }
}

void Connection::input_data(const TcpRepr& seg, std::uint32_t seq, std::span<const std::byte> data,
                            Instant now) {
    (void)seg;
    if (state_ != TcpState::established && state_ != TcpState::fin_wait_1 &&
        state_ != TcpState::fin_wait_2)
        return;  // RFC 9293: text after the peer's FIN is ignored
    // Trim to what is new and inside the window we offered.
    if (seq_lt(seq, rcv_nxt_)) {
        const std::uint32_t old = rcv_nxt_ - seq;
        data = old >= data.size() ? std::span<const std::byte>{} : data.subspan(old);
        seq = rcv_nxt_;
    }
    const std::uint32_t room = seq_gt(rcv_adv_, seq) ? rcv_adv_ - seq : 0;
    if (data.size() > room) data = data.first(room);
    if (data.empty()) {
        ack_now_ = true;  // a duplicate, or beyond the window: tell the peer where we are
        return;
    }
    if (orphaned_ || read_shut_) {
        if (orphaned_) return abort(now);  // RFC 2525 2.17: nobody will read it
    }
    const std::size_t before = readable();
    const bool had_holes = receive_.out_of_order_segments() > 0;
    const auto added = receive_.add(seq - rcv_nxt_, data);
    if (added.queue_full) {
        ++host_.tcp_stats().drop_out_of_order_full;
        ack_now_ = true;
        return;
    }
    if (added.in_order == 0) {
        last_out_of_order_ = seq;
        ack_now_ = true;  // out of order: an immediate duplicate ACK (RFC 5681 4.2)
        return;
    }
    rcv_nxt_ += static_cast<std::uint32_t>(added.in_order);
    counters_.bytes_received += added.in_order;
    if (read_shut_) receive_.discard_all();
    if (before == 0 && readable() > 0) raise(socket_readable);
    // RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK at least every second segment, at once when a
    // hole is filled, else within the delayed-ACK bound.
    ++segments_unacked_;
    if (data.size() < full_segment()) short_unacked_ = true;
    last_data_in_ = now;
    if (had_holes || (segments_unacked_ >= 2 && !hold_ack()))
        ack_now_ = true;
    else if (!delack_at_)
        delack_at_ = now + host_.tcp_config().delayed_ack;
}

// Segments that arrived together (one read of the bus) get one ACK at the batch's end, as
// Linux's GRO gives one per aggregate: ACKs are most of the frames of a stream, and a sender
// could do nothing sooner with them than with the batch's last. Bounded like an aggregate,
// to 64 KiB or a quarter of the receive buffer, so the sender's window never waits on it.
bool Connection::hold_ack() {
    const std::size_t stretch = std::min<std::size_t>(kMaxHeldAck, receive_.capacity() / 4);
    if (rcv_nxt_ - last_ack_sent_ >= stretch) return false;
    if (!ack_held_) ack_held_ = host_.hold_ack(*this);
    return ack_held_;
}

void Connection::send_held_ack(Instant now) {
    if (!ack_held_) return;
    ack_held_ = false;
    // Whatever carried an ACK since (data, a window update, a duplicate ACK) reset the count.
    if (segments_unacked_ > 0 && state_ != TcpState::closed) send_ack(now);
}

// RFC 9293 3.10.7.4 "sixth, check the URG bit" (before the segment's text, whose bytes the
// pointer may mark): only while the peer may still send data.
void Connection::input_urgent(const TcpRepr& seg) {
    if (state_ != TcpState::established && state_ != TcpState::fin_wait_1 &&
        state_ != TcpState::fin_wait_2)
        return;
    if (seg.urgent == 0 || read_shut_) return;  // marks no byte; or nobody reads
    switch (urgent_in_.pointer(seg.seq + seg.urgent, read_seq(), data_end_received(),
                               options_.oob_inline)) {
        case UrgentReceiver::Seen::ignored:
            return;
        case UrgentReceiver::Seen::replaces_unread_at_read:
            receive_.drop(1);  // the old mark's byte, at the reader: dropped unread
            [[fallthrough]];
        case UrgentReceiver::Seen::news:
            ++host_.tcp_stats().urgent_received;
            raise(socket_urgent);
            return;
    }
}

void Connection::input_fin(Instant now) {
    fin_received_ = true;
    ++rcv_nxt_;
    ack_now_ = true;
    raise(socket_readable);
    switch (state_) {
        case TcpState::established:
            state_ = TcpState::close_wait;
            break;
        case TcpState::fin_wait_1:
            state_ = TcpState::closing;  // our FIN is not acknowledged yet (else FIN-WAIT-2)
            break;
        case TcpState::fin_wait_2:
            enter_time_wait(now);
            send_ack(now);
            break;
        default:
            break;
    }
}

}  // namespace netstack::tcp
