// Loss recovery with SACK (RFC 6675), used instead of NewReno when the peer negotiated
// SACK-permitted. The peer's blocks fill a scoreboard (sack_scoreboard.hpp); an ACK that
// SACKs new data is a duplicate ACK (RFC 6675 2, even when it moves the cumulative ACK or
// carries data); recovery starts on DupThresh of them or when IsLost(HighACK + 1), with
// RecoveryPoint = HighData and cwnd = ssthresh from the congestion controller (no window
// inflation: the pipe estimate decides what may be sent); it ends when the cumulative ACK
// covers RecoveryPoint. Below DupThresh, Limited Transmit sends new data by the pipe. In
// recovery each ACK sends NextSeg() segments while cwnd - pipe >= SMSS, cwnd set by PRR (RFC
// 6937, prr_ack) to pipe plus this ACK's share: lost holes not yet
// retransmitted (rule 1), new data (rule 2), other unSACKed holes below the highest SACKed
// (rule 3), once a rescue of the tail (rule 4).
// A timeout clears the scoreboard (RFC 2018 8, RFC 6675 5.1); go-back-N then skips what
// later ACKs SACK (connection_output.cpp).
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/seq.hpp"

namespace netstack::tcp {

using wire::TcpRepr;

std::uint32_t Connection::data_end() const {
    return fin_sent() ? fin_seq() : snd_max_;
}

SackScoreboard::Update Connection::take_sack_blocks(const TcpRepr& seg) {
    TcpStats& stats = host_.tcp_stats();
    const std::uint32_t una = seq_max(seg.ack, snd_una_);
    const auto update = sack_board_.update(
        una, data_end(),
        std::span(seg.sack).first(std::min<std::size_t>(seg.sack_count, seg.sack.size())));
    stats.sack_blocks_received += update.valid;
    stats.sack_blocks_invalid += update.invalid;
    return update;
}

// RFC 6675 5: an acceptable ACK (past RFC 5961's check) on a SACK connection.
// `duplicate_5681` says whether it is a duplicate by RFC 5681's definition (for a peer that
// negotiated SACK but sends none).
void Connection::sack_ack(const TcpRepr& seg, bool duplicate_5681, Instant now) {
    // RFC 6937's DeliveredData: the cumulative ACK's advance plus the change in SACKed bytes
    // (SACKed bytes it now covers leave the scoreboard and are not counted twice).
    const std::uint32_t una_before = snd_una_;
    const std::uint64_t sacked_before = sack_board_.sacked_bytes();
    const auto update = take_sack_blocks(seg);
    if (seq_lt(snd_una_, seg.ack)) new_ack(seg, seg.ack - snd_una_, now);  // DupAcks = 0
    const std::uint64_t sacked_after = sack_board_.sacked_bytes();
    const std::uint64_t advanced = snd_una_ - una_before;
    const std::uint64_t delivered =
        advanced + sacked_after > sacked_before ? advanced + sacked_after - sacked_before : 0;
    if (in_recovery_) return prr_ack(delivered);
    if (snd_una_ == snd_max_) return;
    const bool duplicate =
        update.newly_sacked > 0 || (seg.sack_count == 0 && duplicate_5681 && seg.ack == snd_una_);
    if (!duplicate) return;
    ++dupacks_;
    // RFC 6582 / RFC 6675 5.1: no new recovery for losses of the window already recovered
    // (or timed out).
    if (seq_lt(snd_una_, recover_)) return;
    if (dupacks_ >= SackScoreboard::dup_thresh ||
        seq_gt(sack_board_.lost_edge(snd_una_, send_mss()), snd_una_)) {
        sack_enter_recovery(now);
        prr_ack(delivered);
    } else {
        sack_limited_transmit(now);
    }
}

// RFC 6675 5 step (4).
void Connection::sack_enter_recovery(Instant now) {
    TcpStats& stats = host_.tcp_stats();
    ++stats.fast_retransmits;
    ++stats.sack_recoveries;
    recover_ = snd_max_;  // RecoveryPoint = HighData
    cc_->on_loss(flight(), now);
    cc_->cwnd = cc_->ssthresh;
    in_recovery_ = true;
    prr_delivered_ = prr_out_ = 0;
    recover_fs_ = snd_max_ - snd_una_;  // RecoverFS
    const std::uint32_t used = sack_retransmit(snd_una_, now);
    high_rxt_ = rescue_rxt_ = snd_una_ + used;
    restart_rto(now);
    // (C) follows from output(), which the segment's input ends with.
}

// A cumulative ACK below RecoveryPoint. Without any SACK information (a peer that stopped
// sending blocks, or whose blocks were all acknowledged) the hole at SND.UNA is taken as
// lost, NewReno's inference (RFC 6582), once.
void Connection::sack_partial_ack(Instant now) {
    if (seq_lt(high_rxt_, snd_una_)) high_rxt_ = snd_una_;
    if (sack_board_.empty() && high_rxt_ == snd_una_) high_rxt_ += sack_retransmit(snd_una_, now);
    restart_rto(now);  // RFC 6298 5.3
}

void Connection::sack_exit_recovery() {
    in_recovery_ = false;
    dupacks_ = 0;
    cc_->cwnd = cc_->ssthresh;  // RFC 5681 3.2 step 6
}

void Connection::sack_reset() {
    sack_board_.clear();
    high_rxt_ = rescue_rxt_ = snd_una_;
}

// SetPipe(): for every unSACKed sequence number in [HighACK, HighData), one if it is not
// lost, one more if it was retransmitted (RFC 6675 4). In bytes, over ranges.
std::uint32_t Connection::sack_pipe() const {
    const std::uint32_t una = snd_una_;
    const std::uint64_t outstanding = snd_max_ - una;
    const std::uint64_t unsacked = outstanding - sack_board_.sacked_bytes();
    const std::uint32_t lost_edge = sack_board_.lost_edge(una, send_mss());
    const std::uint64_t lost = (lost_edge - una) - sack_board_.sacked_below(lost_edge);
    std::uint64_t retransmitted = 0;
    if (seq_gt(high_rxt_, una)) {
        const std::uint32_t top = seq_lt(high_rxt_, snd_max_) ? high_rxt_ : snd_max_;
        retransmitted = (top - una) - sack_board_.sacked_below(top);
    }
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(unsacked - lost + retransmitted, 0xffffffffu));
}

// Retransmits one segment at `seq`, stopping where SACKed data begins; returns the
// sequence space sent.
std::uint32_t Connection::sack_retransmit(std::uint32_t seq, Instant now) {
    const std::uint32_t end = sack_board_.next_sacked(seq, data_end());
    const std::uint32_t used = send_data_at(seq, end - seq, now);
    if (used > 0) ++host_.tcp_stats().sack_retransmits;
    return used;
}

// Up to one SMSS of data never sent, as the receiver's window allows (NextSeg() rule 2).
bool Connection::sack_send_new(Instant now) {
    const std::uint32_t offset = data_offset(snd_nxt_);
    const std::uint32_t available =
        offset < send_.size() ? static_cast<std::uint32_t>(send_.size()) - offset : 0;
    const std::uint32_t limit = snd_una_ + snd_wnd_;
    const std::uint32_t room = seq_gt(limit, snd_nxt_) ? limit - snd_nxt_ : 0;
    const std::uint32_t len = std::min({available, room, max_payload()});
    const bool fin_due = fin_queued_ && seq_le(snd_nxt_, fin_seq()) && snd_nxt_ + len == fin_seq();
    if (!fin_due && (len == 0 || (len < max_payload() && len < available))) return false;
    const std::uint32_t used = send_data_at(snd_nxt_, len, now);
    snd_nxt_ += used;
    return used > 0;
}

// RFC 6675 5 step (3), Limited Transmit (RFC 3042) by the pipe: below DupThresh, each
// duplicate ACK lets as much new data out as left the network.
void Connection::sack_limited_transmit(Instant now) {
    high_rxt_ = snd_una_;  // (3.1)
    const std::uint32_t smss = send_mss();
    for (int guard = 0; guard < 1 << 16; ++guard) {
        const std::uint32_t pipe = sack_pipe();
        if (cc_->cwnd < pipe || cc_->cwnd - pipe < smss) break;
        if (!seq_ge(snd_nxt_, snd_max_) || !sack_send_new(now)) break;
    }
}

// NextSeg() (RFC 6675 4) and (C.2-C.4): sends one segment; false when there is none.
bool Connection::sack_next_segment(Instant now) {
    const std::uint32_t una = snd_una_;
    const std::uint32_t end = data_end();
    // The first unSACKed sequence number not yet retransmitted.
    std::uint32_t hole = seq_max(una, high_rxt_);
    if (const auto r = sack_board_.range_at(hole)) hole = r->right;
    const bool hole_outstanding = seq_lt(hole, end) || (fin_sent() && hole == end);

    // Rule 1: it is lost.
    if (hole_outstanding && seq_lt(hole, sack_board_.lost_edge(una, send_mss()))) {
        const std::uint32_t used = sack_retransmit(hole, now);
        if (used == 0) return false;
        high_rxt_ = hole + used;
        return true;
    }
    // Rule 2: new data the receiver's window takes.
    if (sack_send_new(now)) return true;
    // Rule 3: an unSACKed hole below the highest SACKed, not (yet) deemed lost.
    if (seq_lt(hole, sack_board_.highest(una))) {
        const std::uint32_t used = sack_retransmit(hole, now);
        if (used == 0) return false;
        high_rxt_ = hole + used;
        return true;
    }
    // Rule 4: once per recovery after a cumulative ACK past the last rescue, a segment
    // ending at the highest unSACKed sequence number (rule 3 failed, so nothing above the
    // hole is SACKed), unless that was retransmitted already; HighRxt stays.
    if (seq_gt(una, rescue_rxt_) && hole_outstanding) {
        const std::uint32_t start =
            seq_lt(hole, end) ? end - std::min(end - hole, max_payload()) : end;
        const std::uint32_t used = send_data_at(start, end - start, now);
        if (used == 0) return false;
        ++host_.tcp_stats().sack_retransmits;
        rescue_rxt_ = recover_;
        return true;
    }
    return false;
}

// RFC 6937 (Proportional Rate Reduction) on each ACK in recovery, the one that began it
// included: while the pipe is above ssthresh, the flight shrinks in proportion to what is
// delivered (ssthresh / RecoverFS of it goes out again), spreading the retransmissions and
// new data over the recovery instead of pausing, then bursting, as RFC 6675 alone does;
// below ssthresh it grows back no faster than slow start (the SSRB bound: what was delivered,
// plus one MSS). The budget becomes cwnd = pipe + sndcnt for sack_output's loop, as Linux's
// tcp_cwnd_reduction does.
void Connection::prr_ack(std::uint64_t delivered) {
    prr_delivered_ += delivered;
    const std::uint64_t pipe = sack_pipe();
    const std::uint64_t ssthresh = cc_->ssthresh;
    std::int64_t sndcnt = 0;
    if (pipe > ssthresh) {
        const std::uint64_t fs = std::max<std::uint64_t>(recover_fs_, 1);
        sndcnt = static_cast<std::int64_t>((prr_delivered_ * ssthresh + fs - 1) / fs) -
                 static_cast<std::int64_t>(prr_out_);
    } else {
        const std::int64_t limit = std::max(static_cast<std::int64_t>(prr_delivered_) -
                                                static_cast<std::int64_t>(prr_out_),
                                            static_cast<std::int64_t>(delivered)) +
                                   send_mss();
        sndcnt = std::min(static_cast<std::int64_t>(ssthresh - pipe), limit);
    }
    // Whole segments, as Linux counts sndcnt in packets: a share of a segment sends one.
    const std::uint64_t mss = send_mss();
    const std::uint64_t share =
        sndcnt > 0 ? (static_cast<std::uint64_t>(sndcnt) + mss - 1) / mss * mss : 0;
    cc_->cwnd = static_cast<std::uint32_t>(std::min<std::uint64_t>(pipe + share, 0xffffffffu));
}

// RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, NextSeg().
bool Connection::sack_output(Instant now) {
    bool sent = false;
    const std::uint32_t smss = send_mss();
    for (int guard = 0; guard < 1 << 16; ++guard) {
        const std::uint32_t pipe = sack_pipe();
        if (cc_->cwnd < pipe || cc_->cwnd - pipe < smss) break;
        if (!sack_next_segment(now)) break;
        sent = true;
    }
    return sent;
}

}  // namespace netstack::tcp
