/*
 * wire.h - bounds-checked read and write cursors over DNS messages.
 *
 * Both cursors carry a sticky error: once an access would go past the end,
 * err becomes DD_EFORMERR (reads) or DD_ENOSPC (writes), every later read
 * returns 0 and every later write is ignored, and nothing outside
 * [base, base + len) is ever touched.  Callers check err once after a batch
 * of accesses.  Integers on the wire are big-endian (RFC 1035 2.3.2).
 *
 * The cursors borrow their buffers; they own nothing.
 */
#ifndef DD_DNS_WIRE_H
#define DD_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/dd.h"

struct dns_wire_rd {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
};

struct dns_wire_wr {
	uint8_t *base;
	size_t len; /* writable limit */
	size_t pos;
	int err;
};

static inline void
dns_wire_rd_init(struct dns_wire_rd *r, const uint8_t *base, size_t len)
{
	r->base = base;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

static inline size_t
dns_wire_rd_avail(const struct dns_wire_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

/* Marks the cursor failed when n more bytes are not there; returns true if they are. */
static inline bool
dns_wire_rd_need(struct dns_wire_rd *r, size_t n)
{
	if (r->err)
		return false;
	if (n > r->len - r->pos) {
		r->err = DD_EFORMERR;
		return false;
	}
	return true;
}

static inline uint8_t
dns_wire_read_u8(struct dns_wire_rd *r)
{
	if (!dns_wire_rd_need(r, 1))
		return 0;
	return r->base[r->pos++];
}

static inline uint16_t
dns_wire_read_u16(struct dns_wire_rd *r)
{
	if (!dns_wire_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((unsigned)r->base[r->pos] << 8 | r->base[r->pos + 1]);
	r->pos += 2;
	return v;
}

static inline uint32_t
dns_wire_read_u32(struct dns_wire_rd *r)
{
	if (!dns_wire_rd_need(r, 4))
		return 0;
	const uint8_t *p = r->base + r->pos;
	r->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Copies n bytes to dst; on failure dst is zeroed (when n fits a sane size). */
static inline void
dns_wire_read_bytes(struct dns_wire_rd *r, void *dst, size_t n)
{
	if (!dns_wire_rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->base + r->pos, n);
	r->pos += n;
}

static inline void
dns_wire_rd_skip(struct dns_wire_rd *r, size_t n)
{
	if (dns_wire_rd_need(r, n))
		r->pos += n;
}

/* Moves to absolute offset pos (<= len). */
static inline void
dns_wire_rd_seek(struct dns_wire_rd *r, size_t pos)
{
	if (r->err)
		return;
	if (pos > r->len)
		r->err = DD_EFORMERR;
	else
		r->pos = pos;
}

static inline void
dns_wire_wr_init(struct dns_wire_wr *w, uint8_t *base, size_t len)
{
	w->base = base;
	w->len = len;
	w->pos = 0;
	w->err = 0;
}

static inline size_t
dns_wire_wr_avail(const struct dns_wire_wr *w)
{
	return w->err ? 0 : w->len - w->pos;
}

static inline bool
dns_wire_wr_need(struct dns_wire_wr *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->len - w->pos) {
		w->err = DD_ENOSPC;
		return false;
	}
	return true;
}

static inline void
dns_wire_write_u8(struct dns_wire_wr *w, uint8_t v)
{
	if (dns_wire_wr_need(w, 1))
		w->base[w->pos++] = v;
}

static inline void
dns_wire_write_u16(struct dns_wire_wr *w, uint16_t v)
{
	if (!dns_wire_wr_need(w, 2))
		return;
	w->base[w->pos] = (uint8_t)(v >> 8);
	w->base[w->pos + 1] = (uint8_t)v;
	w->pos += 2;
}

static inline void
dns_wire_write_u32(struct dns_wire_wr *w, uint32_t v)
{
	if (!dns_wire_wr_need(w, 4))
		return;
	uint8_t *p = w->base + w->pos;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	w->pos += 4;
}

static inline void
dns_wire_write_bytes(struct dns_wire_wr *w, const void *src, size_t n)
{
	if (!dns_wire_wr_need(w, n))
		return;
	if (n)
		memcpy(w->base + w->pos, src, n);
	w->pos += n;
}

/* Overwrites a u16 at an absolute offset already written (e.g. an RDLENGTH). */
static inline void
dns_wire_patch_u16(struct dns_wire_wr *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->pos)
		return;
	w->base[at] = (uint8_t)(v >> 8);
	w->base[at + 1] = (uint8_t)v;
}

/* Plain big-endian helpers for fixed offsets already bounds-checked by the caller. */
static inline uint16_t
dns_wire_get_u16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline void
dns_wire_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dns_wire_put_u32(uint8_t *p, uint32_t v)
{
	dns_wire_put_u16(p, (uint16_t)(v >> 16));
	dns_wire_put_u16(p + 2, (uint16_t)v);
}

#endif
