/*
 * link.h - the channel between a DNS worker and the writer process.
 *
 * DNS workers answer queries from the shared table and nothing else.  What
 * needs the database or the writer (RFC 2136 UPDATE, NOTIFY, AXFR/IXFR, any
 * TSIG-signed message) travels over a SOCK_SEQPACKET socketpair the master
 * creates per DNS worker slot before forking and keeps for the daemon's
 * life, so a respawned worker or writer finds its end where it was:
 *
 *   LINK_UDP   worker -> writer: one UDP request and where it came from;
 *              writer -> worker: the reply, sent by the worker on the same
 *              socket (so its source address is the one the client asked)
 *   LINK_TCP   worker -> writer: a TCP connection (its descriptor attached
 *              with SCM_RIGHTS) and the bytes already read from it; the
 *              writer owns the connection from then on
 *
 * Each message is one struct link_hdr followed by len bytes.  The pair is
 * anonymous: nothing outside the daemon can write to it.
 */
#ifndef DD_WORKERS_LINK_H
#define DD_WORKERS_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LINK_UDP 1
#define LINK_TCP 2

#define LINK_CTRL_MAX 64          /* reply control message (IP_PKTINFO / IPV6_PKTINFO) */
#define LINK_PAYLOAD_MAX (2 + 65535) /* one TCP message with its length prefix */
#define LINK_SOCKBUF (512 * 1024)

struct link_hdr {
	uint8_t kind;                 /* LINK_UDP | LINK_TCP */
	uint8_t listen_idx;           /* UDP: the worker's listen address */
	uint16_t ctrl_len;            /* UDP: bytes of ctrl used */
	uint32_t len;                 /* payload bytes after the header */
	struct sockaddr_storage peer; /* the client */
	socklen_t peer_len;
	uint8_t ctrl[LINK_CTRL_MAX];  /* UDP: the reply's source-address cmsg */
};

/* Sends hdr + payload (and fd when >= 0) without blocking.  Returns 0 or -1. */
int link_send(int link, const struct link_hdr *h, const void *payload, int fd);

/*
 * Receives one message into h and buf (cap bytes); *fd gets an attached
 * descriptor or -1.  Returns the payload length, or -1 (EAGAIN: nothing
 * more; anything else: the message was malformed and is dropped).
 */
long link_recv(int link, struct link_hdr *h, void *buf, size_t cap, int *fd);

#endif
