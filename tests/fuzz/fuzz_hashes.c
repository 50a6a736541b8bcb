/*
 * tests/fuzz/fuzz_hashes.c — the hash-list parser (ClamAV .hdb/.hsb, IOC lists, CSV) and
 * the filename-IOC list (LOKI's filename-iocs.txt, *.fioc) translation into YARA.
 *
 * The first byte chooses (b % 4): 0 hashdb_parse strict, 1 hashdb_parse skipping bad lines,
 * 2 both on the same text (they must agree), 3 the filename-IOC translation, compiled as
 * sigdb compiles it.
 *
 * The translation (sigdb_filenames_to_yara) and sigdb_compile are sigdb's private API
 * (sigdb/sigdb_int.h), linked from the fuzz library.
 *
 * Invariants: a strict parse that succeeds and a skipping parse of the same text find the
 * same entries and no bad line; a skipping parse never fails; every entry parsed is found
 * again by hashdb_lookup. A filename-IOC list becomes exactly one line of YARA per line and
 * at most one rule per "REGEX;SCORE" line: a list can never add rules of its own making.
 */
#include <stdlib.h>
#include <string.h>

#include "sigdb/hashes.h"
#include "sigdb/sigdb_int.h"

#include "fuzz_common.h"

static const char *const sources[] = { "fuzz.hdb", "fuzz.hsb", "fuzz.ioc", "fuzz.csv" };

/* Bytes of each algorithm's digest, as sigdb/hashes.h orders them. */
static const size_t dlen[HASH__COUNT] = { 16, 20, 32 };

static int
algo_of_hex(size_t hexlen)
{
	return hexlen == 32 ? HASH_MD5 : hexlen == 40 ? HASH_SHA1 : hexlen == 64 ? HASH_SHA256 : -1;
}

static void
from_hex(const char *s, size_t n, unsigned char *out)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		int c = s[i], v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

		out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] << 4 | v : v);
	}
}

/*
 * After a strict parse that succeeded, every line that holds a hash is an entry: find each
 * again with hashdb_lookup (the size on a ClamAV line, or any size).
 */
static void
check_lookups(const struct hashdb *h, const char *text, size_t len)
{
	size_t i = 0, lineno = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *l = text + i;
		size_t k = 0, hexlen;
		unsigned char d[32];
		const char *name = NULL, *list = NULL;
		int64_t size = 0;
		int a;

		i += n + 1;
		lineno++;
		while (k < n && (l[k] == ' ' || l[k] == '\t'))
			k++;
		for (hexlen = 0; k + hexlen < n && l[k + hexlen] &&
				 strchr("0123456789abcdefABCDEF", l[k + hexlen]); hexlen++)
			;
		if ((a = algo_of_hex(hexlen)) < 0)
			continue;
		from_hex(l + k, dlen[a], d);
		k += hexlen;
		while (k < n && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (k < n && l[k] == ':') {
			/* ClamAV: HASH:SIZE:NAME, SIZE a number or * */
			const char *sz = l + k + 1, *end = memchr(sz, ':', n - k - 1);
			char buf[64];

			if (end == NULL || memchr(sz, '\0', (size_t)(end - sz)) ||
			    (size_t)(end - sz) >= sizeof(buf))
				continue;
			memcpy(buf, sz, (size_t)(end - sz));
			buf[end - sz] = '\0';
			size = strcmp(buf, "*") == 0 ? 0 : strtoll(buf, NULL, 10);
		} else if (k < n && l[k] != ';' && l[k] != ',' && l[k] != '\0' && l[k] != '\r') {
			continue;
		}
		if (!hashdb_lookup(h, (enum hash_algo)a, d, size, &name, &list))
			fuzz_fail("line %zu parsed (strict parse succeeded) but its hash is not found",
				  lineno);
		if (name == NULL || list == NULL)
			fuzz_fail("hashdb_lookup found an entry without a name or list");
	}
}

static void
fuzz_parse(const uint8_t *data, size_t size, int mode)
{
	const char *source = sources[size ? data[0] % 4 : 0];
	const char *text = (const char *)data + (size ? 1 : 0);
	size_t len = size ? size - 1 : 0;
	struct hashdb *h = hashdb_create(), *h2 = NULL;
	struct vg_error err;
	int64_t added = 0, bad = 0, added2 = 0, bad2 = 0;
	enum vg_err rc, rc2 = VG_OK;

	if (h == NULL)
		abort();
	vg_error_init(&err);
	rc = hashdb_parse(h, source, text, len, mode == 1, &added, &bad, &err);
	if (rc != VG_OK && rc != VG_RULES)
		fuzz_fail("hashdb_parse failed with %s: %s", vg_strerror(rc), vg_error_msg(&err));
	if (mode == 1 && rc != VG_OK)
		fuzz_fail("hashdb_parse skipping bad lines failed: %s", vg_error_msg(&err));
	if (rc == VG_OK && (added < 0 || bad < 0 || (mode == 0 && bad != 0)))
		fuzz_fail("hashdb_parse counted added %lld bad %lld", (long long)added,
			  (long long)bad);
	if (rc == VG_OK && hashdb_count(h) != added)
		fuzz_fail("hashdb_count %lld before sealing, %lld added",
			  (long long)hashdb_count(h), (long long)added);
	if (mode == 2) {
		h2 = hashdb_create();
		if (h2 == NULL)
			abort();
		vg_error_init(&err);
		rc2 = hashdb_parse(h2, source, text, len, 1, &added2, &bad2, &err);
		if (rc2 != VG_OK)
			fuzz_fail("hashdb_parse skipping bad lines failed: %s", vg_error_msg(&err));
		if (rc == VG_OK && (added2 != added || bad2 != 0))
			fuzz_fail("strict parse: %lld added; skipping parse: %lld added, %lld bad",
				  (long long)added, (long long)added2, (long long)bad2);
		if (rc != VG_OK && bad2 == 0)
			fuzz_fail("strict parse failed (%s) but the skipping parse found no bad line",
				  vg_error_msg(&err));
	}
	hashdb_seal(h);
	/* (a strict parse that failed keeps the entries before the bad line: sigdb drops them) */
	if (rc == VG_OK && (hashdb_count(h) > added || hashdb_count(h) < (added > 0 ? 1 : 0)))
		fuzz_fail("hashdb_count %lld after sealing %lld entries",
			  (long long)hashdb_count(h), (long long)added);
	{
		int a;

		for (a = 0; a < HASH__COUNT; a++)
			(void)hashdb_wants(h, (enum hash_algo)a);
	}
	if (rc == VG_OK && bad == 0)
		check_lookups(h, text, len);
	hashdb_destroy(h);
	hashdb_destroy(h2);
}

static size_t
count_char(const char *s, size_t n, char c)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

static void
fuzz_filenames(const uint8_t *data, size_t size)
{
	/* sigdb always hands the translation NUL-terminated text (sigdb_sources_add) */
	char *text = malloc(size + 1);
	struct sigdb_sources l = { 0 };
	struct vg_error err;
	YR_RULES *rules = NULL;
	char *y;
	size_t lines, ioc_lines = 0, i = 0;
	enum vg_err rc;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	y = sigdb_filenames_to_yara(text, size);
	if (y == NULL)
		fuzz_fail("sigdb_filenames_to_yara gave nothing");
	/* one line out per line in, so compile errors name the list's own lines */
	lines = count_char(text, size, '\n') + (size > 0 && text[size - 1] != '\n');
	if (memchr(text, '\0', size) == NULL && count_char(y, strlen(y), '\n') != lines)
		fuzz_fail("sigdb_filenames_to_yara: %zu lines in, %zu lines out", lines,
			  count_char(y, strlen(y), '\n'));
	free(y);
	/* the lines that become a rule (as the translation sees them: not a comment, a ';') */
	while (i < size) {
		const char *nl = memchr(text + i, '\n', size - i), *l = text + i;
		size_t n = nl ? (size_t)(nl - l) : size - i;

		i += n + 1;
		while (n > 0 && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		if (n > 0 && l[0] != '#' && memchr(l, ';', n))
			ioc_lines++;
	}
	/* compiled as sigdb compiles a "filenames" source */
	vg_error_init(&err);
	if (sigdb_sources_add(&l, "filenames", "fuzz_fioc", "filename-iocs.txt", text, size, NULL,
			      1, &err) != VG_OK)
		abort();
	rc = sigdb_compile(&l, 0, l.n, &rules, &err);
	if (rc == VG_OK) {
		int64_t n = sigdb_count_rules(rules);

		if ((size_t)n > ioc_lines)
			fuzz_fail("a filename-IOC list of %zu IOC lines compiled into %lld rules: "
				  "a line added rules of its own", ioc_lines, (long long)n);
		yr_rules_destroy(rules);
	} else if (rc != VG_RULES && rc != VG_YARA) {
		fuzz_fail("compile failed with %s: %s", vg_strerror(rc), vg_error_msg(&err));
	}
	sigdb_sources_release(&l);
	free(text);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vg_error err;

	(void)argc;
	(void)argv;
	vg_error_init(&err);
	if (sigdb_global_init(&err) != VG_OK) {
		fprintf(stderr, "fuzz_hashes: %s\n", vg_error_msg(&err));
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	if (mode == 3)
		fuzz_filenames(data + 1, size - 1);
	else
		fuzz_parse(data + 1, size - 1, mode);
	return 0;
}
