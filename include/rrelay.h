/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rrelay: the kernel API of the relay facility as provided by rrelay.ko.
 */
#ifndef _RRELAY_H
#define _RRELAY_H

#include <linux/types.h>

/**
 * rrelay_channel_version() - channel format version of the loaded rrelay
 *
 * Return: the RELAYFS_CHANNEL_VERSION the module implements (7).
 */
u32 rrelay_channel_version(void);

#endif /* _RRELAY_H */
