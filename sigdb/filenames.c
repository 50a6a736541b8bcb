/*
 * sigdb/filenames.c — filename IOC lists (LOKI's filename-iocs.txt, *.fioc) as YARA text.
 *
 * LOKI's format: "REGEX;SCORE[;FALSE_POSITIVE_REGEX]" lines, the comment above a block
 * describing it. Each becomes one rule on the same line, so that compile errors name the
 * list's own lines. The rules test the external variable fullpath (the file's path on disk;
 * empty for archive members), case-insensitively.
 */
#include "sigdb/sigdb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing NUL-terminated text; failed after an allocation failed. */
struct textbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
tb_add(struct textbuf *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->p, cap);

		if (p == NULL) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

char *
sigdb_filenames_to_yara(const char *text, size_t len)
{
	struct textbuf t = { 0 };
	char desc[200] = "filename IOC", head[400];
	size_t i = 0, lineno = 0, k;

	tb_add(&t, "", 0);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		const char *l = text + i, *semi;
		size_t n = nl ? (size_t)(nl - l) : len - i;

		i += n + 1;
		lineno++;
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		while (n > 0 && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		if (n > 0 && l[0] == '#') {
			/* the latest comment describes the lines after it (quotes dropped) */
			size_t dn = 0;

			for (k = 1; k < n && (l[k] == ' ' || l[k] == '#'); k++)
				;
			for (; k < n && dn < sizeof(desc) - 1; k++)
				if (l[k] != '"' && l[k] != '\\' && (unsigned char)l[k] >= 0x20)
					desc[dn++] = l[k];
			desc[dn] = '\0';
		} else if (n > 0 && (semi = memchr(l, ';', n)) != NULL) {
			snprintf(head, sizeof(head),
				 "rule Filename_IOC_line_%zu : filename_ioc { meta: description = \"%s\" "
				 "score = %d condition: fullpath matches /", lineno, desc, atoi(semi + 1));
			tb_add(&t, head, strlen(head));
			for (k = 0; k < (size_t)(semi - l); k++) {
				if (l[k] == '/' && (k == 0 || l[k - 1] != '\\'))
					tb_add(&t, "\\", 1);
				tb_add(&t, l + k, 1);
			}
			tb_add(&t, "/is }", 5);
		}
		tb_add(&t, "\n", 1); /* one line out for one line in: errors keep their line */
	}
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	return t.p;
}
