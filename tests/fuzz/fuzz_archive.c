/*
 * tests/fuzz/fuzz_archive.c — the input as one whole file, scanned by the engine with the
 * embedded default rules: libmagic typing, YARA, and archive recursion through libarchive
 * (zip, tar, 7z, gzip, xz, cpio, iso9660, cab, rar, ... nested) with the writer recording
 * every detection and problem, hostile member names included, in a real store.
 *
 * As real-time protection does it: one session (store, writer thread) and one worker for the
 * whole run, made on the first input; the input is put in a memfd and scanned with
 * scanner_scan_fd, then scanner_record. Archive limits are small so a bomb stays fast.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/store.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

#include "fuzz_common.h"

static struct store *st;
static struct sigdb *db;
static struct scanner_options opts;
static struct scanner_session *session;
static struct scanner_worker *worker;
static int memfd = -1;

static void
setup(void)
{
	struct vg_error err;
	struct store_scan_new scan = { 0 };
	char state[4200];
	int64_t scan_id;

	vg_error_init(&err);
	fuzz_path(state, sizeof(state), "state");
	if (sigdb_global_init(&err) != VG_OK || store_open(state, &st, &err) != VG_OK ||
	    sigdb_open(st, state, &db, &err) != VG_OK) {
		fprintf(stderr, "fuzz_archive: setup: %s\n", vg_error_msg(&err));
		abort();
	}
	scan.type = "custom";
	scan.threads = 1;
	scan.sig_version = sigdb_version(db);
	scan.rules_digest = sigdb_digest(db);
	scan.roots = json_pack("[s]", "/fuzz");
	if (store_scan_begin(st, &scan, &scan_id, &err) != VG_OK) {
		fprintf(stderr, "fuzz_archive: setup: %s\n", vg_error_msg(&err));
		abort();
	}
	json_decref(scan.roots);

	scanner_options_init(&opts);
	opts.threads = 1;
	opts.archives = 1;
	opts.max_depth = 8;
	opts.max_filesize = 64ull << 20;
	opts.archive_max_members = 2000;
	opts.archive_max_bytes = 16ull << 20;
	opts.archive_max_member_size = 16ull << 20;
	opts.archive_max_ratio = 250;
	opts.scan_timeout = 5;
	if (scanner_session_open(&opts, db, st, scan_id, NULL, &session, &err) != VG_OK ||
	    scanner_worker_create(session, &worker, &err) != VG_OK) {
		fprintf(stderr, "fuzz_archive: setup: %s\n", vg_error_msg(&err));
		abort();
	}
	memfd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("fuzz_archive: memfd_create");
		abort();
	}
}

/* At exit: the worker, then the session (waits for the writer), the rules, the store. */
static void
teardown(void)
{
	if (worker)
		scanner_worker_destroy(worker, NULL);
	if (session)
		scanner_session_close(session, NULL, NULL);
	if (db)
		sigdb_release(db);
	if (st)
		store_close(st);
	if (memfd >= 0)
		close(memfd);
	worker = NULL;
	session = NULL;
	db = NULL;
	st = NULL;
	memfd = -1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	/* after fuzz_tmpdir's own atexit: runs first, while the folder still exists */
	atexit(teardown);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scanner_verdict v;
	size_t done = 0;

	if (ftruncate(memfd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t w = pwrite(memfd, data + done, size - done, (off_t)done);

		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	/* scanner_scan_fd reads from the current offset */
	if (lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	scanner_scan_fd(worker, memfd, "/fuzz/sample.bin", &v);
	scanner_record(worker, NULL);
	if (v.threats < 0 || v.errors < 0 || v.bytes != (int64_t)size)
		fuzz_fail("verdict: threats %d errors %d bytes %lld for %zu input bytes", v.threats,
			  v.errors, (long long)v.bytes, size);
	return 0;
}
