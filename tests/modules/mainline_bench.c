// SPDX-License-Identifier: GPL-2.0
/*
 * relay_bench built against the kernel's own relay (CONFIG_RELAY=y), to
 * measure it beside rrelay in one boot.
 */
#define BENCH_NAME "mainline_bench"
#include "relay_bench.c"
