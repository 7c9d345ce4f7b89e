// A connection's timers: retransmission (RFC 6298 5, with exponential backoff and the
// retry limits), delayed ACK, zero-window probes (persist), keepalive (RFC 1122 4.2.3.6),
// TIME-WAIT and the orphaned FIN-WAIT-2 timeout.
#include <algorithm>

#include "tcp/connection.hpp"
#include "tcp/seq.hpp"

namespace netstack::tcp {

namespace flag = wire::tcp_flag;

std::optional<Instant> Connection::deadline() const {
    std::optional<Instant> next;
    for (const auto& t : {rto_at_, delack_at_, persist_at_, keepalive_at_, wait_at_})
        if (t && (!next || *t < *next)) next = t;
    return next;
}

void Connection::restart_rto(Instant now) {
    rto_at_ = now + rtt_.rto();
}

void Connection::arm_keepalive(Instant now) {
    keepalive_probes_ = 0;
    if (options_.keepalive && (state_ == TcpState::established || state_ == TcpState::close_wait))
        keepalive_at_ = now + host_.tcp_config().keepalive_idle;
    else
        keepalive_at_.reset();
}

void Connection::on_timer(Instant now) {
    auto due = [&](std::optional<Instant>& t) {
        if (!t || *t > now) return false;
        t.reset();
        return true;
    };
    if (due(wait_at_)) return close_with(std::nullopt);  // TIME-WAIT or FIN-WAIT-2 over
    if (due(rto_at_)) on_rto(now);
    if (state_ == TcpState::closed) return;
    if (due(persist_at_)) on_persist(now);
    if (due(keepalive_at_)) on_keepalive(now);
    if (state_ == TcpState::closed) return;
    if (due(delack_at_)) {
        interactive_ = false;  // nothing answered within the bound
        send_ack(now);
    }
}

void Connection::on_rto(Instant now) {
    const TcpConfig& config = host_.tcp_config();
    ++host_.tcp_stats().timeouts;
    switch (state_) {
        case TcpState::syn_sent:
        case TcpState::syn_received: {
            const std::uint32_t limit = state_ == TcpState::syn_sent || !passive_
                                            ? config.syn_retries
                                            : config.synack_retries;
            if (retries_ >= limit) {
                // A passive half-open connection just goes; an active one reports why.
                if (passive_) return close_with(std::nullopt);
                return close_with(soft_error_.value_or(SocketError::timed_out));
            }
            ++retries_;
            rtt_.back_off();
            send_syn(now);
            return;
        }
        default:
            break;
    }
    if (snd_una_ == snd_max_) return;  // nothing outstanding
    if (retries_ >= config.max_retries) {
        ++host_.tcp_stats().connections_timed_out;
        return close_with(soft_error_.value_or(SocketError::timed_out));
    }
    ++retries_;
    rtt_.back_off();  // RFC 6298 5.5
    // RFC 5681 3.1 eq. 4 and RFC 6582 4: go back to slow start from snd_una; what was in
    // flight counts as lost, and recovery starts over after `recover`.
    cc_->on_timeout(flight());
    in_recovery_ = false;
    dupacks_ = 0;
    recover_ = snd_max_;
    // RFC 2018 8 and RFC 6675 5.1: the receiver may have reneged; SACKs arriving from now
    // on refill the scoreboard and go-back-N skips what they cover (Linux keeps the
    // scoreboard instead, with reneging detection we do not have).
    if (sack_ok_) sack_reset();
    rtt_seq_.reset();
    // One segment from snd_una, window or not (a zero window is probed this way too).
    snd_nxt_ = snd_una_ + send_data_at(snd_una_, max_payload(), now);
    restart_rto(now);  // RFC 6298 5.6, with the backed-off RTO
}

void Connection::on_persist(Instant now) {
    if (snd_wnd_ > 0) {  // open, but too little for silly-window avoidance: send what fits
        sws_override_ = true;
        output(now);
        sws_override_ = false;
        return;
    }
    // A window probe as Linux sends it: an ACK for old data (seq snd_una - 1) that the
    // receiver must answer with its current window.
    ++window_probes_;
    ++host_.tcp_stats().window_probes;
    send_segment(snd_una_ - 1, flag::ack, {}, now);
    rtt_.back_off();
    persist_at_ = now + rtt_.rto();
}

void Connection::on_keepalive(Instant now) {
    const TcpConfig& config = host_.tcp_config();
    if (keepalive_probes_ >= config.keepalive_probes) {
        ++host_.tcp_stats().connections_timed_out;
        return close_with(SocketError::timed_out);
    }
    ++keepalive_probes_;
    ++host_.tcp_stats().keepalive_probes;
    send_segment(snd_una_ - 1, flag::ack, {}, now);  // RFC 1122 4.2.3.6: seq one below
    const std::uint32_t sent = keepalive_probes_;
    keepalive_at_ = now + config.keepalive_interval;
    keepalive_probes_ = sent;
}

}  // namespace netstack::tcp
