/*
 * seqlock.h - sequence counter for one writer and lock-free readers.
 *
 * The writer makes the counter odd, changes the protected words, and makes
 * it even again.  A reader loads the counter, copies the protected words
 * (with relaxed atomic loads, so that the copy is never a data race in the
 * C11 sense), and keeps the copy only if the counter was even and did not
 * change meanwhile.  The protected words must themselves be written with
 * atomic stores (relaxed is enough): the counter orders them, the atomics
 * only keep each word untorn and make the race explicit to the compiler and
 * to ThreadSanitizer.
 *
 * Memory orders (the C11 form of the usual seqcount contract):
 *
 *   writer:  s = seq (relaxed, only the writer stores it)
 *            seq = s + 1         relaxed
 *            fence(release)      the odd value is visible before any data store
 *            data stores         relaxed
 *            seq = s + 2         release: data stores are visible before it
 *
 *   reader:  s = seq             acquire: data loads cannot move above it
 *            s odd -> retry
 *            data loads          relaxed
 *            fence(acquire)      data loads cannot move below the re-check
 *            seq != s -> retry
 *
 * If a reader's data load saw a value stored after the writer's release
 * fence, that fence synchronizes with the reader's acquire fence, so the
 * re-check sees at least s + 1 and the copy is thrown away.  If the first
 * load saw s + 2, the release store made every data store of that write
 * visible.  There is no lock: a reader never blocks the writer and a writer
 * that dies mid-write leaves the counter odd, which readers treat as "retry"
 * until their bound runs out (see shm_table_get) and the master detects.
 *
 * Only one writer may use a counter at a time; the callers guarantee it.
 */
#ifndef DD_SHM_SEQLOCK_H
#define DD_SHM_SEQLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__SANITIZE_THREAD__)
#define SEQLOCK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SEQLOCK_TSAN 1
#endif
#endif

/*
 * Fences.  ThreadSanitizer does not model atomic_thread_fence (gcc refuses it
 * under -fsanitize=thread), so TSan builds use a compiler barrier instead:
 * on x86-64, where they run, the hardware keeps loads in order and stores in
 * order (TSO), and the barrier keeps the compiler from moving the relaxed
 * atomics across it.  All protected words are atomics, so TSan still sees
 * every plain access that could race.
 */
static inline void
seqlock_fence_acquire(void)
{
#ifdef SEQLOCK_TSAN
	atomic_signal_fence(memory_order_seq_cst);
#else
	atomic_thread_fence(memory_order_acquire);
#endif
}

static inline void
seqlock_fence_release(void)
{
#ifdef SEQLOCK_TSAN
	atomic_signal_fence(memory_order_seq_cst);
#else
	atomic_thread_fence(memory_order_release);
#endif
}

/* A hint to the CPU that we are spinning on a value another core changes. */
static inline void
seqlock_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* True when a write is in progress for a sequence value. */
static inline bool
seqlock_is_odd(uint32_t seq)
{
	return (seq & 1u) != 0;
}

/*
 * Starts a read section: returns the counter.  The caller must not use data
 * read under an odd value; it retries (with a bound) instead.
 */
static inline uint32_t
seqlock_read_begin(const _Atomic uint32_t *seq)
{
	return atomic_load_explicit(seq, memory_order_acquire);
}

/*
 * Ends a read section begun with start: returns true when the data read
 * since seqlock_read_begin may be inconsistent and must be discarded.
 */
static inline bool
seqlock_read_retry(const _Atomic uint32_t *seq, uint32_t start)
{
	seqlock_fence_acquire();
	return seqlock_is_odd(start) || atomic_load_explicit(seq, memory_order_relaxed) != start;
}

/* Starts a write section (counter becomes odd).  Single writer only. */
static inline void
seqlock_write_begin(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	seqlock_fence_release();
}

/* Ends a write section (counter becomes even again). */
static inline void
seqlock_write_end(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_release);
}

#endif
