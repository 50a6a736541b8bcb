/*
 * scanner/image_wire.h — the wire between vigil and vigil-image, the sandboxed disk-image
 * reader (imaged/). Both ends are built from the same tree, so numbers go in host order.
 *
 * vigil starts `vigil-image --fd 3 [--memory-mb N]` (scanner/helper.c) with one end of an
 * AF_UNIX SOCK_SEQPACKET socketpair as descriptor 3. Every message is one datagram: a struct
 * iw_hdr, then the bytes of its strings one after another, with at most one descriptor
 * attached (SCM_RIGHTS). Strings are byte strings (names on a disk need not be UTF-8); what
 * is structured travels as JSON text made by jansson.
 *
 *   image → vigil  IW_HELLO     s0 the sandbox steps that took hold, s1 the version
 *   vigil → image  IW_CRED      s0 kind, s1 the secret (zero or more, before IW_OPEN)
 *   vigil → image  IW_OPEN      s0 file, s1 parent; n0 partition (int64, -1: all), n1 offset
 *                               (int64, -1: none), n2 flags (IW_DELETED, IW_HAS_PARENT)
 *   image → vigil  IW_OPENED    s0 format  |  IW_ERROR n0 enum vg_err, s0 the message
 *   vigil → image  IW_QUICK     s0 the fnmatch patterns, each ended by a NUL; → IW_OK | IW_ERROR
 *   vigil → image  IW_LIST      → IW_LISTED s0 JSON (scanner_image_list)
 *   vigil → image  IW_WALK      n0 max_filesize (0: none), n1 1 when objects over 64 MiB go
 *                               to vigil's spool folder (else into memory), n2 IMAGE_MAY_*
 *                               (IW_DONE is asked only when a resumed scan has finished files),
 *                               s0 the exclusions (scanner_excl_json); then, until IW_END:
 *   image → vigil  IW_CURRENT   s0 path (no answer; not sent by vigil-image today: each
 *                               object's name stands for it)
 *                  IW_PROBLEM   s0 where, s1 location JSON, s2 kind, s3 reason (no answer)
 *                  IW_SPOOL                  → IW_ANSWER n0 1 and a new unlinked file in
 *                               vigil's spool folder (O_RDWR) | n0 0, s0 why not
 *                  IW_OBJECT    s0 where, s1 location JSON, s2 struct iw_inv; n0 length,
 *                               n1 IW_READ when all of it is there (| IW_SPOOLED | IW_INLINE),
 *                               n2 bytes in flight; the bytes in a sealed memfd, or with
 *                               IW_SPOOLED in the last spool file vigil gave (sent back), or
 *                               with IW_INLINE (up to IW_INLINE_MAX) in s3; none when n0 is 0;
 *                               with IW_IDENT an object for the system's identity only
 *                  IW_EXCLUDED  s0 path that the exclusions skip (no answer: vigil checks it
 *                               against its own and counts it)
 *                  IW_DONE      s0 where     → IW_ANSWER n0 yes
 *                  IW_RESERVE   n0 bytes     → IW_ANSWER (once that much may be in flight);
 *                               asked only for objects of IW_RESERVE_MIN bytes or more: vigil
 *                               reserves a smaller one itself when it arrives (n2 0)
 *                  IW_ASK       s0 volume    → IW_ANSWER n0 1, s0 kind, s1 secret | n0 0
 *                  IW_BTRFS     n0 BTRFS_RESTORE or BTRFS_CHECK → IW_ANSWER n0 1 and the socket
 *                               of a new `btrfs restore` or `btrfs check` (scanner/btrfs_run.h)
 *                               | n0 0, s0 why not
 *                  IW_BTRFS_END              → IW_ANSWER n0 1 when it exited with 0 | n0 0,
 *                               s0 how it ended (vigil waits for it, kills it if it lingers)
 *   image → vigil  IW_END       s0 volumes JSON (scanner_image_volumes), n0 readable
 *   Every IW_ANSWER carries n1 = 1 when the scan is stopping: the walk ends soon after.
 *
 * vigil believes nothing it receives: each message is checked against what may come next,
 * every length against the datagram, an object's descriptor must be a memfd sealed against
 * writing, shrinking and growing, at least as long as announced.
 */
#ifndef VIGIL_SCANNER_IMAGE_WIRE_H
#define VIGIL_SCANNER_IMAGE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define IW_MAGIC 0x56494d31u	/* "VIM1" */
/* The largest datagram: within the socket's default send buffer (net.core.wmem_default). */
#define IW_MAX (192u << 10)
#define IW_NSTR 4
/* Objects smaller than this are not reserved ahead (one round trip less per file): what may
 * wait in the socket unreserved is then bounded by its buffer, a few hundred messages. */
#define IW_RESERVE_MIN (128u << 10)

enum iw_kind {
	IW_HELLO = 1,
	IW_CRED,
	IW_OPEN,
	IW_OPENED,
	IW_ERROR,
	IW_QUICK,
	IW_OK,
	IW_LIST,
	IW_LISTED,
	IW_WALK,
	IW_CURRENT,
	IW_PROBLEM,
	IW_OBJECT,
	IW_EXCLUDED,
	IW_DONE,
	IW_RESERVE,
	IW_ASK,
	IW_ANSWER,
	IW_END,
	IW_SPOOL,
	IW_BTRFS,
	IW_BTRFS_END,
	IW_BT_HELLO,
	IW_BT_READ,
	IW_BT_FILE,
	IW_BT_REPLY,
	IW_BT_END,
	IW_KIND_MAX
};

enum { IW_DELETED = 1, IW_HAS_PARENT = 2 };	/* IW_OPEN n2 */
/* IW_OBJECT n1; IW_IDENT: only for the system's identity (image_obj.ident), not scanned,
 * inline, at most IW_IDENT_MAX bytes, and not one of the files IW_DONE counts */
enum { IW_READ = 1, IW_SPOOLED = 2, IW_INLINE = 4, IW_IDENT = 8 };
#define IW_IDENT_MAX 255u
/* Objects up to this size travel inside their message. */
#define IW_INLINE_MAX (64u << 10)

/*
 * The same framing, between the image walk and imaged/btrfs_shim.c inside `btrfs restore`
 * (scanner/image_btrfs.c serves it a btrfs volume and takes the files it restores):
 *
 *   shim → walk    IW_BT_HELLO  a memfd of IW_BT_WINDOW bytes, the read window (the walk
 *                               seals it against shrinking and growing, then maps it)
 *                                            → IW_BT_REPLY n0 the volume's length, n1 the
 *                               largest file to restore (bytes)
 *                  IW_BT_READ   n0 offset, n1 length (<= IW_BT_WINDOW)
 *                                            → IW_BT_REPLY n0 bytes, now at the start of the
 *                               window | n1 1, s1 why
 *                  IW_BT_FILE   s0 path, s1 struct iw_bt_file; its bytes in a memfd
 *                                            → IW_BT_REPLY n0 1 when the scan is stopping
 *                  IW_BT_END    restore is done (no answer); a closed socket without it: it
 *                               died
 */
#define IW_BT_WINDOW (1u << 20)
enum { IW_BT_COMPLETE = 1, IW_BT_TOO_LARGE = 2, IW_BT_READ_FAILED = 4, IW_BT_WRITE_FAILED = 8 };
struct iw_bt_file {
	uint32_t flags, mode, uid, gid;	/* IW_BT_*; mode without its type bits */
	int64_t atime_ns, mtime_ns;
	uint64_t size;
};

struct iw_hdr {
	uint32_t magic;
	uint32_t kind;
	uint64_t n[3];
	uint32_t len[IW_NSTR];
};

/* What a file system says of an object (struct store_inv's numbers). */
struct iw_inv {
	int64_t size, mode, uid, gid, dev, ino, nlink;
	int64_t atime_ns, mtime_ns, ctime_ns, btime_ns, have_btime;
};

struct iw_str {
	const char *p;	/* NUL-terminated on receipt (the NUL not counted in len) */
	size_t len;
};

/* A C string as a byte string (NULL: empty). */
static inline struct iw_str
iw_cstr(const char *p)
{
	return (struct iw_str){ .p = p, .len = p != NULL ? __builtin_strlen(p) : 0 };
}

struct iw_msg {
	uint32_t kind;
	uint64_t n[3];
	struct iw_str s[IW_NSTR];
	int fd;		/* -1: none */
	char *buf;	/* what s[] point into */
};

/*
 * Send one message: kind, 3 numbers (n may be NULL: zeros), the ns (<= IW_NSTR) strings of s
 * (a NULL p is empty; the rest are empty), fd attached when >= 0 (still the caller's). 0, or -1
 * with errno (EMSGSIZE when it would not fit in IW_MAX).
 */
int iw_send(int sock, uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns,
	    int fd);

#define IW_N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Receive one message into m (iw_msg_free it). timeout_ms < 0 waits for ever. 1: a message;
 * 0: the other end closed; -1: failed or malformed (why says which); -2: timed out.
 * A descriptor comes close-on-exec; any beyond the first is closed.
 */
int iw_recv(int sock, struct iw_msg *m, int timeout_ms, char *why, size_t n);

void iw_msg_free(struct iw_msg *m);

#endif
