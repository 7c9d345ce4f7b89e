/* What travels between libshmifsock and shmifd's socket service besides the JSON requests
 * (daemon/PROTOCOL.md, "The socket service"): the abstract name of the daemon's end of each
 * socketpair, the header in front of every UDP datagram, accept records and lane changes.
 * C, so both sides include it. */
#ifndef SHMIFSOCK_WIRE_H
#define SHMIFSOCK_WIRE_H

#include <stdint.h>

/* The daemon's end is bound to "\0shmifd/TAG/SOCK": TAG is 16 hex digits, SOCK decimal;
 * "\0shmifd/TAG/SOCK/6" for an AF_INET6 socket. */
#define SHMIFSOCK_NAME_PREFIX "shmifd/"

/* In front of every datagram on a UDP descriptor (SOCK_SEQPACKET), both ways. */
struct shmifsock_dgram {
    uint16_t family;  /* host order: 2 = AF_INET, 10 = AF_INET6, 0 = none (client: the
                         connected peer); an AF_INET6 socket's IPv4 peers come as 10,
                         ::ffff:a.b.c.d */
    uint16_t port;    /* network order */
    uint32_t flags;   /* SHMIFSOCK_DGRAM_* */
    uint8_t addr[16]; /* IPv4 in addr[0..3]; IPv6 all 16 */
};
#define SHMIFSOCK_DGRAM_TRUNCATED 1u /* from the daemon: cut to what the daemon could hold */
/* From the daemon: no datagram but an error for the receive that reads it (an ICMP error
 * about a datagram a connected socket sent, as Linux's sk_err): the errno, in Linux's
 * numbering, in addr[0..3], host order. */
#define SHMIFSOCK_DGRAM_ERROR 2u

/* A listener that asked for hand-off ("handoff": true in sock.listen) gets, on its stream
 * descriptor, one record per connection ready to accept: two struct shmifsock_dgram, the
 * peer then the local end (flags 0), with the connection's descriptor attached (SCM_RIGHTS).
 * A record of zeros carries none: sock.accept takes that connection. The client writes one
 * byte back for each record it read, which makes room for another: at most
 * SHMIFSOCK_ACCEPT_WINDOW records are unacknowledged. */
struct shmifsock_accept_record {
    struct shmifsock_dgram peer;
    struct shmifsock_dgram local;
};
#define SHMIFSOCK_ACCEPT_WINDOW 128

/* A lane (sock.lane): a SOCK_SEQPACKET descriptor whose messages a worker of the daemon reads
 * itself, for changes nobody waits for: no reply, not even an error (the daemon counts what it
 * drops). Each message is one struct shmifsock_lane_change, host order. The daemon's end is
 * bound to "\0" SHMIFSOCK_LANE_PREFIX "TAG/N", which the client may check before it writes. */
struct shmifsock_lane_change {
    uint64_t sock;   /* the socket's id */
    uint32_t option; /* SHMIFSOCK_LANE_* */
    int32_t value;
};
#define SHMIFSOCK_LANE_TCP_NODELAY 1u /* value 0 or 1, as setsockopt's */
#define SHMIFSOCK_LANE_PREFIX "shmifd-lane/"

#ifdef __cplusplus
static_assert(sizeof(struct shmifsock_dgram) == 24, "the wire header is 24 bytes");
static_assert(sizeof(struct shmifsock_accept_record) == 48, "an accept record is 48 bytes");
static_assert(sizeof(struct shmifsock_lane_change) == 16, "a lane change is 16 bytes");
#else
_Static_assert(sizeof(struct shmifsock_dgram) == 24, "the wire header is 24 bytes");
_Static_assert(sizeof(struct shmifsock_accept_record) == 48, "an accept record is 48 bytes");
_Static_assert(sizeof(struct shmifsock_lane_change) == 16, "a lane change is 16 bytes");
#endif

#endif
