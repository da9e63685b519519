/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rrelay: the user-space interface of relay buffer files beyond read(),
 * poll() and splice(): what an mmap() reader needs to find data in the
 * mapping and to hand sub-buffers back.
 *
 * Sub-buffers are numbered from 0 since the channel's last reset, in the
 * order the writer fills them; number i lives at byte
 * (i % n_subbufs) * subbuf_size of the mapping.  Number i is complete once
 * i < produced, and its memory is reused once the writer moves into number
 * i + n_subbufs (in overwrite mode at once; in no-overwrite mode only after
 * i was consumed).
 *
 * The loop of an mmap() reader, one call per batch of sub-buffers:
 *   struct rrelay_batch b = { .entries = array, .max = N };   first, count 0
 *   loop:
 *     RRELAY_IOC_BATCH(&b)          -> checks and consumes the batch b held
 *                                      (first, count as the last call left
 *                                      them): its first b.stale sub-buffers
 *                                      were overwritten while copied, drop
 *                                      those copies; hands out the next
 *                                      b.count ready ones from b.first,
 *                                      entries[k] the offset and length of
 *                                      number b.first + k
 *     hand on the copies kept, then, if b.count is 0, stop (nothing held);
 *     else copy (or, in no-overwrite mode, use in place) each entry
 *
 * In no-overwrite mode b.stale is always 0 and the writer never enters a
 * sub-buffer a batch holds, so entries may be used in place until the
 * next call.  The batch starts where the buffer's consumption is (shared
 * with read()), past what read() already returned of a sub-buffer, and
 * past sub-buffers the writer lapped (b.skipped, also counted in
 * lost_subbufs).
 *
 * The same, one sub-buffer per call (three calls each):
 *   RRELAY_IOC_INFO                 -> produced, consumed
 *   for i in consumed .. produced:
 *     RRELAY_IOC_SUBBUF(i)          -> offset, length (0 padding included)
 *     copy length bytes at offset
 *     RRELAY_IOC_SUBBUF(i) again    -> -ESTALE: overwritten while copied
 *                                      (never before i is consumed in
 *                                      no-overwrite mode)
 *     RRELAY_IOC_CONSUME(1)         -> frees it (no-overwrite mode)
 *
 * lost_subbufs counts the sub-buffers that read(), splice() and
 * RRELAY_IOC_BATCH skipped because the writer lapped them (overwrite mode).
 */
#ifndef _UAPI_LINUX_RRELAY_H
#define _UAPI_LINUX_RRELAY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* A buffer at one moment (all counters since the last reset). */
struct rrelay_buf_info {
	__u64 subbuf_size;	/* bytes per sub-buffer */
	__u64 n_subbufs;	/* sub-buffers in the buffer */
	__u64 produced;		/* sub-buffers completed */
	__u64 consumed;		/* sub-buffers consumed */
	__u64 offset;		/* bytes in the current one; subbuf_size + 1: stopped */
	__u64 full_count;	/* records dropped: their switch was refused */
	__u64 big_count;	/* records dropped as larger than a sub-buffer */
	__u32 finalized;	/* 1 once the channel is closed */
	__u32 lost_subbufs;	/* skipped by readers the writer lapped */
};

/* One complete sub-buffer: in index, out the rest. */
struct rrelay_subbuf {
	__u64 index;		/* in: its number */
	__u64 offset;		/* out: where it starts in the mapping */
	__u64 length;		/* out: bytes of data in it, padding excluded */
	__u64 produced;		/* out: sub-buffers completed so far */
};

/* Where one sub-buffer of a batch lies in the mapping. */
struct rrelay_batch_entry {
	__u64 offset;		/* where its data starts in the mapping */
	__u64 length;		/* bytes of data from there, padding excluded */
};

/*
 * A batch of complete sub-buffers (RRELAY_IOC_BATCH).  first and count
 * are in and out: in, the batch the caller is done with (0 and 0 for
 * none), checked and consumed; out, the batch handed out.
 */
struct rrelay_batch {
	__u64 first;		/* in/out: number of the batch's first sub-buffer */
	__u32 count;		/* in/out: sub-buffers in it (out: entries filled) */
	__u32 flags;		/* in: RRELAY_BATCH_* */
	__u64 entries;		/* in: user address of struct rrelay_batch_entry[max] */
	__u32 max;		/* in: room in entries, 1 .. RRELAY_BATCH_MAX */
	__u32 stale;		/* out: leading sub-buffers of the batch done with
				 * that the writer may have entered since they
				 * were handed out: their copies are not good
				 */
	__u64 produced;		/* out: sub-buffers completed */
	__u64 skipped;		/* out: lapped before they could be handed out */
};

/* Most entries one RRELAY_IOC_BATCH fills. */
#define RRELAY_BATCH_MAX	1024
/* Check and consume the batch done with, hand out nothing (max ignored). */
#define RRELAY_BATCH_RELEASE_ONLY	(1U << 0)

#define RRELAY_IOC_MAGIC	0xb7
/* Fill struct rrelay_buf_info. */
#define RRELAY_IOC_INFO		_IOR(RRELAY_IOC_MAGIC, 1, struct rrelay_buf_info)
/* Describe sub-buffer index: -ENODATA if not complete, -ESTALE if reused. */
#define RRELAY_IOC_SUBBUF	_IOWR(RRELAY_IOC_MAGIC, 2, struct rrelay_subbuf)
/* Mark the next n (the argument) sub-buffers consumed, as
 * relay_subbufs_consumed() does; -EINVAL above n_subbufs.
 */
#define RRELAY_IOC_CONSUME	_IOW(RRELAY_IOC_MAGIC, 3, __u64)
/* Check and consume one batch, hand out the next (struct rrelay_batch):
 * -EINVAL for unknown flags, max 0 or above RRELAY_BATCH_MAX, or a count
 * in above n_subbufs or RRELAY_BATCH_MAX; -EFAULT if the struct or the
 * entries cannot be read or written (then nothing is consumed).
 */
#define RRELAY_IOC_BATCH	_IOWR(RRELAY_IOC_MAGIC, 4, struct rrelay_batch)

#endif /* _UAPI_LINUX_RRELAY_H */
