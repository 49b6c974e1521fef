/*
 * rrl.h - response-rate limiting state shared by the DNS workers.
 *
 * One MAP_SHARED mapping, made by the master before the first fork and never
 * replaced (a reload keeps it): a fixed array of SHM_RRL_BUCKETS words, each
 * { tag:32 | second:16 | count:16 } for one (client prefix, answer) key,
 * updated with a compare-and-swap, so workers that share a client (its
 * source ports spread over the SO_REUSEPORT sockets) share its allowance.
 * No lock, no allocation, no system call: a key's word counts the answers
 * of the current second; a key that lands on another key's word takes it
 * over (the rarer outcome of a collision is a fresh allowance, never a
 * lost answer to a well-behaved client).  The keys are hashed with
 * SipHash-2-4 under a random key made at start, so a client cannot choose
 * which word it shares.
 */
#ifndef DD_SHM_RRL_H
#define DD_SHM_RRL_H

#include <stddef.h>
#include <stdint.h>

#define SHM_RRL_BUCKETS 65536 /* 512 KiB of state */
#define SHM_RRL_KEY_MAX (1 + 16 + 1 + 255) /* family, address, class, name */

struct shm_rrl;

/* Creates the mapping (zeroed, a random hash key); NULL when mmap fails. */
struct shm_rrl *shm_rrl_create(void);
void shm_rrl_destroy(struct shm_rrl *r);

enum shm_rrl_verdict {
	SHM_RRL_PASS, /* answer */
	SHM_RRL_DROP, /* over the rate: no reply */
	SHM_RRL_SLIP, /* over the rate: a truncated reply (TC=1) */
};

/*
 * Counts one answer for key (keylen <= SHM_RRL_KEY_MAX) in second now:
 * PASS while the key's count this second is within rate, else every
 * slip-th one SLIP (slip 0: never) and the others DROP.
 */
enum shm_rrl_verdict shm_rrl_account(struct shm_rrl *r, const uint8_t *key, size_t keylen,
				     uint32_t now, uint32_t rate, uint32_t slip);

#endif
