/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark modules' kthreads share (relay_bench.c,
 * peers_bench.c).
 */
#ifndef _BENCH_KTHREAD_H
#define _BENCH_KTHREAD_H

#include <linux/kthread.h>
#include <linux/sched.h>

/*
 * Sleeps until kthread_stop(): a benchmark thread done with its work
 * waits there, so that its task outlives the caller's use of it.
 */
static inline void bench_wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

#endif /* _BENCH_KTHREAD_H */
