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
 * The loop of an mmap() reader:
 *   RRELAY_IOC_INFO                 -> produced, consumed
 *   for i in consumed .. produced:
 *     RRELAY_IOC_SUBBUF(i)          -> offset, length (0 padding included)
 *     copy length bytes at offset
 *     RRELAY_IOC_SUBBUF(i) again    -> -ESTALE: overwritten while copied
 *                                      (never before i is consumed in
 *                                      no-overwrite mode)
 *     RRELAY_IOC_CONSUME(1)         -> frees it (no-overwrite mode)
 *
 * lost_subbufs counts the sub-buffers that read() and splice() skipped
 * because the writer lapped them (overwrite mode).
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

#define RRELAY_IOC_MAGIC	0xb7
/* Fill struct rrelay_buf_info. */
#define RRELAY_IOC_INFO		_IOR(RRELAY_IOC_MAGIC, 1, struct rrelay_buf_info)
/* Describe sub-buffer index: -ENODATA if not complete, -ESTALE if reused. */
#define RRELAY_IOC_SUBBUF	_IOWR(RRELAY_IOC_MAGIC, 2, struct rrelay_subbuf)
/* Mark the next n (the argument) sub-buffers consumed, as
 * relay_subbufs_consumed() does; -EINVAL above n_subbufs.
 */
#define RRELAY_IOC_CONSUME	_IOW(RRELAY_IOC_MAGIC, 3, __u64)

#endif /* _UAPI_LINUX_RRELAY_H */
