/*
 * sigdb/hashes.h — hash signature lists, private to sigdb/ and the scanner's engine.
 *
 * Formats (one entry a line; '#' starts a comment; blank lines are skipped):
 *	ClamAV .hdb   MD5:SIZE:NAME
 *	ClamAV .hsb   HASH:SIZE:NAME[:FLEVEL]   (SHA-1 or SHA-256 by length; SIZE may be *)
 *	IOC list      HASH[;NAME]  or  HASH,NAME   (MD5, SHA-1 or SHA-256 by length)
 * Entries are kept per algorithm in one sorted array each and found with bsearch, so
 * memory is about 48 bytes an entry and a lookup is O(log n).
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

/* Sort and deduplicate; call once after the last parse, before any lookup. */
void hashdb_seal(struct hashdb *h);

/* Does the database hold entries of this algorithm? (Then the engine computes it.) */
int hashdb_wants(const struct hashdb *h, enum hash_algo a);
int64_t hashdb_count(const struct hashdb *h);

/*
 * The entry for digest (raw bytes) of an object of size bytes, or NULL: *name is the
 * signature's name and *list the list it came from (both borrowed from h).
 */
int hashdb_lookup(const struct hashdb *h, enum hash_algo a, const unsigned char *digest,
		  int64_t size, const char **name, const char **list);

#endif
