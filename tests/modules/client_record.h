/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record format of relay_client, shared by the module and the guest
 * tests that read its buffers back.
 */
#ifndef _CLIENT_RECORD_H
#define _CLIENT_RECORD_H

#define CLIENT_RECORD_MAGIC	0x52524c59	/* "RRLY" */
#define CLIENT_RECORD_MAX	8192
#define CLIENT_HEADER_MAGIC	0x21524448	/* "HDR!": relay_client's header=N */

struct client_record {
	__u32 magic;
	__u16 cpu;
	__u16 ctx;
	__u32 seq;
	__u32 len;	/* whole record, header included */
	__u32 csum;	/* of the payload after the header */
	__u32 pad;
};

static inline __u32 client_record_csum(const struct client_record *r)
{
	const unsigned char *p = (const unsigned char *)(r + 1);
	__u32 h = 2166136261u, i;

	for (i = 0; i < r->len - sizeof(*r); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static inline void client_record_fill(struct client_record *r, __u32 cpu,
				      __u32 seq, __u32 len, __u32 ctx)
{
	unsigned char *p = (unsigned char *)(r + 1);
	__u32 i;

	r->magic = CLIENT_RECORD_MAGIC;
	r->cpu = cpu;
	r->ctx = ctx;
	r->seq = seq;
	r->len = len;
	r->pad = 0;
	for (i = 0; i < len - sizeof(*r); i++)
		p[i] = (unsigned char)(seq * 31 + i + 1);
	r->csum = client_record_csum(r);
}

#endif /* _CLIENT_RECORD_H */
