/*
 * rrl.c - response-rate limiting state (see rrl.h).
 */
#include "shm/rrl.h"

#include <stdatomic.h>
#include <sys/mman.h>

#include <sodium.h>

#define RRL_CAS_TRIES 4 /* a word raced this often: let the answer go */

struct shm_rrl {
	uint8_t key[crypto_shorthash_KEYBYTES];
	_Atomic uint64_t b[SHM_RRL_BUCKETS];
};

struct shm_rrl *
shm_rrl_create(void)
{
	struct shm_rrl *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	randombytes_buf(r->key, sizeof(r->key));
	return r;
}

void
shm_rrl_destroy(struct shm_rrl *r)
{
	if (r != NULL)
		munmap(r, sizeof(*r));
}

enum shm_rrl_verdict
shm_rrl_account(struct shm_rrl *r, const uint8_t *key, size_t keylen, uint32_t now, uint32_t rate,
		uint32_t slip)
{
	uint8_t h8[crypto_shorthash_BYTES];
	uint64_t h, tag, sec = now & 0xffffu, old, nw, count = 1;
	_Atomic uint64_t *w;

	crypto_shorthash(h8, key, keylen, r->key);
	h = (uint64_t)h8[0] | (uint64_t)h8[1] << 8 | (uint64_t)h8[2] << 16 |
	    (uint64_t)h8[3] << 24 | (uint64_t)h8[4] << 32 | (uint64_t)h8[5] << 40 |
	    (uint64_t)h8[6] << 48 | (uint64_t)h8[7] << 56;
	w = &r->b[h & (SHM_RRL_BUCKETS - 1)];
	tag = (h >> 32) | 1u;
	for (int t = 0; t < RRL_CAS_TRIES; t++) {
		old = atomic_load_explicit(w, memory_order_relaxed);
		if (old >> 32 == tag && ((old >> 16) & 0xffffu) == sec) {
			count = (old & 0xffffu) + 1;
			if (count > 0xffffu)
				count = 0xffffu;
		} else {
			count = 1; /* a new second, or a key that takes the word over */
		}
		nw = tag << 32 | sec << 16 | count;
		if (atomic_compare_exchange_weak_explicit(w, &old, nw, memory_order_relaxed,
							  memory_order_relaxed))
			break;
	}
	if (count <= rate)
		return SHM_RRL_PASS;
	return slip && (count - rate) % slip == 0 ? SHM_RRL_SLIP : SHM_RRL_DROP;
}
