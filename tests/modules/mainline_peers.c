// SPDX-License-Identifier: GPL-2.0
/*
 * peers_bench built against the kernel's own relay (CONFIG_RELAY=y), to
 * measure it beside rrelay and the ftrace ring buffer in one boot.
 */
#define PEERS_NAME "mainline_peers"
#include "peers_bench.c"
