/*
 * extract/layer.c — the chain, the labels and the memfd of every VX_LAYER (see layer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <clamav.h>

#include "extract/flate.h"
#include "extract/layer.h"
#include "extract/proto.h"
#include "extract/wire.h"

#define LABEL_MAX 4096		/* longest label sent (proto.h allows VX_TEXT_MAX in all) */
#define TYPE_MAX 64		/* libclamav's type names are short; a longer one is cut */
#define VBA_NAME_MAX 256	/* a module name is a VBA identifier (31 chars in practice) */
#define VBA_NAME_SCAN 4096	/* Attribute lines open a module: look no further */

struct layer_count {
	int32_t parent;
	char type[TYPE_MAX];	/* "" marks an empty slot */
	uint32_t n;
};

static void
die_oom(void)
{
	fprintf(stderr, "vigil-extract: out of memory\n");
	exit(VX_EXIT_NOMEM);
}

void
layers_begin(struct layers *l, int sock, uint64_t id, uint32_t level_cap)
{
	memset(l, 0, sizeof(*l));
	l->sock = sock;
	l->id = id;
	l->level_cap = level_cap;
}

void
layers_end(struct layers *l)
{
	free(l->stack);
	free(l->counts);
	l->stack = NULL;
	l->counts = NULL;
	l->depth = l->stack_cap = l->ncounts = l->counts_cap = 0;
}

static void
push(struct layers *l, uint32_t level, int32_t index, bool mail, bool pdf)
{
	if (l->depth == l->stack_cap) {
		size_t cap = l->stack_cap ? l->stack_cap * 2 : 32;
		struct layer_frame *s = realloc(l->stack, cap * sizeof(*s));

		if (!s)
			die_oom();
		l->stack = s;
		l->stack_cap = cap;
	}
	l->stack[l->depth].level = level;
	l->stack[l->depth].index = index;
	l->stack[l->depth].mail = mail;
	l->stack[l->depth].pdf = pdf;
	l->depth++;
}

/* The layer we are inside (the object's frame if the stack is somehow empty). */
static struct layer_frame
top(const struct layers *l)
{
	static const struct layer_frame object = { .level = 0, .index = -1 };
	size_t i;

	/* A frame not sent (too deep) never has children sent, but skip it to be safe. */
	for (i = l->depth; i > 0; i--)
		if (l->stack[i - 1].index != -2)
			return l->stack[i - 1];
	return object;
}

static uint32_t
hash_key(int32_t parent, const char *type)
{
	uint32_t h = 2166136261u ^ (uint32_t)parent;

	for (; *type; type++)
		h = (h ^ (unsigned char)*type) * 16777619u;
	return h;
}

static struct layer_count *
find_slot(struct layer_count *t, size_t cap, int32_t parent, const char *type)
{
	size_t i = hash_key(parent, type) & (cap - 1);

	while (t[i].type[0] && (t[i].parent != parent || strcmp(t[i].type, type)))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* How many nameless layers of this type the parent has had, this one included. */
static uint32_t
count_nameless(struct layers *l, int32_t parent, const char *type)
{
	struct layer_count *slot;

	if (2 * (l->ncounts + 1) > l->counts_cap) {
		size_t cap = l->counts_cap ? l->counts_cap * 2 : 64, i;
		struct layer_count *t = calloc(cap, sizeof(*t));

		if (!t)
			die_oom();
		for (i = 0; i < l->counts_cap; i++)
			if (l->counts[i].type[0])
				*find_slot(t, cap, l->counts[i].parent, l->counts[i].type) = l->counts[i];
		free(l->counts);
		l->counts = t;
		l->counts_cap = cap;
	}
	slot = find_slot(l->counts, l->counts_cap, parent, type);
	if (!slot->type[0]) {
		slot->parent = parent;
		snprintf(slot->type, sizeof(slot->type), "%s", type);
		l->ncounts++;
	}
	return ++slot->n;
}

static bool
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * libclamav's own temporary names say nothing about the layer and change on every run:
 * "clamav-<hex>.tmp" (cli_genfname) and "<32 hex>_<n>" (OLE2 streams, stored under the
 * hash of their name). A mail part without a file name is called "attachment" or
 * "unknown" by libclamav's MIME parser (message.c, mbox.c).
 */
static bool
meaningful(const char *name, bool in_mail)
{
	size_t len;

	if (!name || !name[0])
		return false;
	if (in_mail && (!strcmp(name, "attachment") || !strcmp(name, "unknown")))
		return false;
	len = strlen(name);
	if (len > 11 && !strncmp(name, "clamav-", 7) && !strcmp(name + len - 4, ".tmp") &&
	    all_hex(name + 7, len - 11))
		return false;
	if (len > 33 && name[32] == '_' && all_hex(name, 32) &&
	    strspn(name + 33, "0123456789") == len - 33)
		return false;
	return true;
}

/* Copies the bytes into a sealed memfd; returns it, or -1 with the reason recorded. */
static int
bytes_memfd(struct layers *l, const void *buf, size_t size)
{
	const char *p = buf;
	int fd = memfd_create("vx-layer", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		goto fail;
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		size -= (size_t)n;
	}
	/* vigil may keep and hash it while we go on: nothing may change it from here. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		goto fail;
	return fd;
fail:
	if (!l->copy_error[0])
		snprintf(l->copy_error, sizeof(l->copy_error), "cannot copy a layer: %s",
			 strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Sends one VX_LAYER; text is "TYPE\0LABEL" (no NUL after LABEL). Returns its index. */
static int32_t
send_layer(struct layers *l, int32_t parent, uint32_t level, uint32_t flags, const char *type,
	   const char *label, size_t label_len, const void *buf, size_t size)
{
	char text[TYPE_MAX + 1 + LABEL_MAX];
	struct vx_msg m;
	size_t type_len = strnlen(type, TYPE_MAX - 1);
	int fd = -1;

	if (label_len > LABEL_MAX)
		label_len = LABEL_MAX;
	memcpy(text, type, type_len);
	text[type_len] = '\0';
	memcpy(text + type_len + 1, label, label_len);

	memset(&m, 0, sizeof(m));
	m.kind = VX_LAYER;
	m.id = l->id;
	m.parent = parent;
	m.level = level;
	if (!(flags & VX_NOBYTES)) {
		fd = bytes_memfd(l, buf, size);
		if (fd < 0)
			flags |= VX_NOBYTES;	/* the chain survives; DONE says what is missing */
	}
	m.flags = flags;
	m.size = fd >= 0 ? size : 0;
	wire_send(l->sock, &m, text, type_len + 1 + label_len, fd);
	if (fd >= 0)
		close(fd);
	return l->sent++;
}

/* A stream of a PDF that libclamav handed over still deflated: its inflated bytes as a
 * layer below it (flate.h). */
static void
send_inflated(struct layers *l, int32_t parent, uint32_t level, const void *buf, size_t size)
{
	size_t n = 0;
	unsigned char *out = l->inflate_max ? flate_inflate(buf, size, l->inflate_max, &n) : NULL;

	if (out == NULL)
		return;
	send_layer(l, parent, level, 0, "BINARY_DATA", "[INFLATED]", 10, out, n);
	free(out);
}

bool
layers_file(struct layers *l, uint32_t level, const char *type, const char *name,
	    const void *buf, size_t size, uint32_t attributes)
{
	char gen[TYPE_MAX + 16];
	const char *label;
	struct layer_frame up;
	uint32_t flags = 0;
	int32_t index;
	bool mail, pdf;

	/* Leftovers of layers whose post-scan never came (libclamav changed): they cannot
	 * be parents of this one. */
	while (l->depth && l->stack[l->depth - 1].level >= level)
		l->depth--;
	if (type && !strncmp(type, "CL_TYPE_", 8))
		type += 8;
	if (!type || !type[0])
		type = "UNKNOWN";
	mail = !strcmp(type, "MAIL");
	pdf = !strcmp(type, "PDF");
	if (level == 0) {
		push(l, 0, -1, mail, pdf);
		return true;
	}
	if (level > l->level_cap) {
		l->capped = true;
		push(l, level, -2, false, false);
		return false;
	}
	up = top(l);

	if (meaningful(name, up.mail)) {
		label = name;
	} else {
		uint32_t n = count_nameless(l, up.index, type);

		if (n == 1)
			snprintf(gen, sizeof(gen), "[%.*s]", TYPE_MAX - 1, type);
		else
			snprintf(gen, sizeof(gen), "[%.*s]#%u", TYPE_MAX - 1, type, n);
		label = gen;
	}
	if (attributes & LAYER_ATTRIBUTES_NORMALIZED)
		flags |= VX_NORMALIZED | VX_NOBYTES;
	if (attributes & LAYER_ATTRIBUTES_DECRYPTED)
		flags |= VX_DECRYPTED;
	if (!buf && !(flags & VX_NOBYTES)) {
		if (!l->copy_error[0])
			snprintf(l->copy_error, sizeof(l->copy_error),
				 "libclamav could not map a layer's bytes");
		flags |= VX_NOBYTES;
	}
	index = send_layer(l, up.index, level, flags, type, label, strlen(label), buf, size);
	push(l, level, index, mail, pdf);
	if (up.pdf && buf && !(flags & VX_NOBYTES) && level + 1 <= l->level_cap)
		send_inflated(l, index, level + 1, buf, size);
	return true;
}

void
layers_file_done(struct layers *l)
{
	if (l->depth)
		l->depth--;
}

/* The module's name from its `Attribute VB_Name = "Name"` line (libclamav lower-cases
 * the source outside strings, so the keyword is matched without case). */
static size_t
vba_name(const unsigned char *data, size_t len, const char **name)
{
	static const char key[] = "attribute vb_name = \"";
	const size_t klen = sizeof(key) - 1;
	size_t i;

	if (len > VBA_NAME_SCAN)
		len = VBA_NAME_SCAN;
	for (i = 0; i + klen < len; i++) {
		size_t j;

		if ((i && data[i - 1] != '\n') || strncasecmp((const char *)data + i, key, klen))
			continue;
		for (j = i + klen; j < len && j - i - klen < VBA_NAME_MAX; j++)
			if (data[j] == '"' || data[j] == '\0' || data[j] == '\r' || data[j] == '\n')
				break;
		if (j < len && data[j] == '"' && j > i + klen) {
			*name = (const char *)data + i + klen;
			return j - i - klen;
		}
		return 0;
	}
	return 0;
}

void
layers_vba(struct layers *l, const unsigned char *data, size_t len)
{
	char label[8 + VBA_NAME_MAX];
	const char *name = NULL;
	struct layer_frame up = top(l);
	size_t nlen;
	int n;

	l->vba_seq++;
	if (up.level + 1 > l->level_cap) {
		l->capped = true;
		return;
	}
	nlen = vba_name(data, len, &name);
	if (nlen)
		n = snprintf(label, sizeof(label), "vba:%.*s", (int)nlen, name);
	else
		n = snprintf(label, sizeof(label), "vba:#%u", l->vba_seq);
	send_layer(l, up.index, up.level + 1, VX_VBA, "VBA", label, (size_t)n, data, len);
}
