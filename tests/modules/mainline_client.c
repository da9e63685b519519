// SPDX-License-Identifier: GPL-2.0
/*
 * relay_client built against the kernel's own relay (CONFIG_RELAY=y), to
 * run beside rrelay's relay_client in one boot: same source, the stock
 * header without rrelay's renaming, files under
 * /sys/kernel/debug/mainline_client/.
 */
#define CLIENT_NAME "mainline_client"
#define CLIENT_HAS_STATS 0
#include "relay_client.c"
