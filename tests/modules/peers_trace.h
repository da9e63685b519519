/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trace event of the peers benchmark (peers_bench.c): the same record
 * a relay producer writes, as an ftrace event, so that a tracing instance
 * drained by splice() of trace_pipe_raw can stand beside a relay channel
 * drained by splice() of its cpuN file.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM peers_bench

#if !defined(_PEERS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PEERS_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(peers_record,
	    TP_PROTO(u32 cpu, u32 seq),
	    TP_ARGS(cpu, seq),
	    TP_STRUCT__entry(__field(u32, cpu)
			     __field(u32, seq)
			     __field(u16, pad)),
	    TP_fast_assign(__entry->cpu = cpu;
			   __entry->seq = seq;
			   __entry->pad = 0;),
	    TP_printk("cpu=%u seq=%u", __entry->cpu, __entry->seq)
);

#endif /* _PEERS_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE peers_trace
#include <trace/define_trace.h>
