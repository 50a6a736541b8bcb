/*
 * sigdb/hashes.h — hash signature lists, private to sigdb/ and the scanner's engine.
 *
 * Formats (one entry a line; '#' starts a comment; blank lines are skipped):
 *	ClamAV .hdb   MD5:SIZE:NAME
 *	ClamAV .hsb   HASH:SIZE:NAME[:FLEVEL]   (SHA-1 or SHA-256 by length; SIZE may be *)
 *	IOC list      HASH[;NAME]  or  HASH,NAME   (MD5, SHA-1 or SHA-256 by length)
 * Parsed entries are sorted per algorithm and deduplicated by hashdb_seal into the saved
 * form below, which is what every lookup reads (bsearch, O(log n)): built in memory, written
 * to the state folder by sigdb/hashfile.c, and later used in place from a mapping of that file.
 *
 *	h = hashdb_create(); hashdb_parse(h, ...)...; hashdb_seal(h);
 *	hashdb_image(h, &data, &len);                 the bytes to save
 *	hashdb_open_mapping_take(map, len, &h, &err); a saved form, mapped (or _open_image)
 *	hashdb_lookup(h, ...); hashdb_destroy(h);
 *
 * The saved form (native byte order; it never leaves the machine that wrote it):
 *	header, 104 bytes	magic "VIGILHDB", u32 version (1), u32 byte-order mark 0x01020304,
 *				u32 header length (104), u32 record length per algorithm,
 *				u64 records per algorithm, u64 offset of each algorithm's
 *				records, u64 offset and length of the string table, u64 length of
 *				the whole file
 *	records			per algorithm (MD5, SHA-1, SHA-256) one after the other, sorted
 *				by digest then size: the digest (16, 20 or 32 bytes), u32 offset
 *				of the name and u32 offset of the list's name in the string table,
 *				then i64 size (-1: any size) only when some entry of that
 *				algorithm has a size (the record length says which)
 *	string table		NUL-terminated names, the last byte a NUL
 * A form is used only when the header says exactly this layout and the sections fit the
 * bytes given; an entry whose name lies outside the string table is never returned. (That
 * the records are sorted is not checked: the file is trusted only after its SHA-256 matched
 * the store's record, and an unsorted form can only miss.) A sealed database takes 40 bytes
 * a SHA-256 entry (48 with sizes) plus its name.
 *
 * A sealed database is immutable and may be shared by any number of threads.
 */
#ifndef VIGIL_SIGDB_HASHES_H
#define VIGIL_SIGDB_HASHES_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum hash_algo { HASH_MD5, HASH_SHA1, HASH_SHA256, HASH__COUNT };

struct hashdb;

struct hashdb *hashdb_create(void);
void hashdb_destroy(struct hashdb *h);

/*
 * Parse one list (text of len bytes, named source for errors and as the list's name) into h.
 * With skip_bad, malformed lines are counted in *bad and skipped; without, the first one
 * fails with VG_RULES and "source:line: reason". *added counts the entries.
 */
enum vg_err hashdb_parse(struct hashdb *h, const char *source, const char *text, size_t len,
			 int skip_bad, int64_t *added, int64_t *bad, struct vg_error *err);

/*
 * Sort and deduplicate into the saved form; call once after the last parse, before any
 * lookup (a parse after it fails with VG_INVAL). VG_NOMEM, or VG_LIMIT when the names do
 * not fit 4 GiB; h is then empty.
 */
enum vg_err hashdb_seal(struct hashdb *h);

/* The saved form of a sealed database: *len bytes at *data, borrowed from h. */
void hashdb_image(const struct hashdb *h, const void **data, size_t *len);

/*
 * A sealed database over the saved form of len bytes at data, checked as above: VG_RULES
 * with the reason in err when it is truncated, damaged or not a saved form. The _image
 * variant borrows data (the caller keeps it until hashdb_destroy); the _mapping_take one
 * takes a mapping made with mmap, unmapped by hashdb_destroy, or at once when it fails.
 */
enum vg_err hashdb_open_image(const void *data, size_t len, struct hashdb **out,
			      struct vg_error *err);
enum vg_err hashdb_open_mapping_take(void *map, size_t len, struct hashdb **out,
				     struct vg_error *err);

/* Does the database hold entries of this algorithm? (Then the engine computes it.) */
int hashdb_wants(const struct hashdb *h, enum hash_algo a);
/* Entries: parsed so far, or once sealed the distinct ones. */
int64_t hashdb_count(const struct hashdb *h);

/*
 * The entry for digest (raw bytes) of an object of size bytes, or NULL: *name is the
 * signature's name and *list the list it came from (both borrowed from h). Only a sealed
 * database finds anything.
 */
int hashdb_lookup(const struct hashdb *h, enum hash_algo a, const unsigned char *digest,
		  int64_t size, const char **name, const char **list);

#endif
