/*
 * scanner/image_remote_int.h — what image_remote.c (the reader process, opening the image)
 * shares with image_remote_walk.c (the walk over the wire), and nothing else sees.
 */
#ifndef VIGIL_SCANNER_IMAGE_REMOTE_INT_H
#define VIGIL_SCANNER_IMAGE_REMOTE_INT_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "scanner/image_wire.h"
#include "scanner/scanner.h"

/* How long a new reader may take to say hello and to open the image (LUKS2's argon2id
 * key derivation alone takes seconds per credential). */
#define OPEN_MS (10 * 60 * 1000)
/* Silence longer than this during a walk ends the reader (nothing it reads takes that long
 * between two files); a stopping scan waits STOP_MS. */
#define IDLE_MS (10 * 60 * 1000)
#define STOP_MS 3000
#define POLL_MS 250
/* The reader's address-space limit: LUKS2 argon2id may take 1 GiB, libraries the rest. */
#define READER_MB "3072"

struct image_remote {
	pid_t pid;
	int sock;
	char *format;
	char *steps;
	json_t *volumes;
	int readable;
	struct image_creds *creds;
	uint64_t reserved;	/* reserved in flight and not yet taken by an object */
	int spool_fd;		/* the last spool file given to the reader, or -1 */
	char gone[512];		/* why the reader is gone ("" while it runs) */
	/* what a restarted reader is given again */
	char *exe, *file, *parent;
	int partition, deleted;
	int64_t offset;
	char *quick;		/* the IW_QUICK text, or NULL */
	size_t quick_len;
	/* the walk, across restarts (see image_remote_walk) */
	uint64_t prior;		/* files the runs before handed over or skipped, in walk order */
	uint64_t asked, seen;	/* this run: IW_DONE questions; files handed over or skipped */
	char *pending;		/* the last file it was told to read and has not handed over */
	char **skip;		/* files a reader died reading: skipped from then on */
	size_t nskip;
	char **said;		/* problems of whole volumes already reported ("where\nreason"): a
				 * restarted reader finds them again */
	size_t nsaid;
	int btrfs;		/* the btrfs restore vigil started for the reader (IW_BTRFS): its
				 * handle for the sink's btrfs_end, or -1 */
};

/*
 * End the reader (if it still runs) and say why in r->gone, unless already said: "the image
 * reader " and what (or how it ended, when what is NULL), then ": " and detail if any.
 */
void ir_end_reader(struct image_remote *r, const char *what, const char *detail);
/* The reader's own end: it crashed or exited (waited for, so its status is known). */
void ir_reader_broke(struct image_remote *r, const char *why);
/* Send one message without a descriptor: 0, or -1 with the reader ended. */
int ir_send_msg(struct image_remote *r, uint32_t kind, const uint64_t *n, const struct iw_str *s,
		size_t ns);
/* Free m and end the reader for having sent what: a violation of the protocol. */
void ir_violation(struct image_remote *r, struct iw_msg *m, const char *what);
/* Answer an IW_ASK for a key: the prompt (creds->ask), or no. 0, or -1 (the reader gone). */
int ir_answer_ask(struct image_remote *r, const struct iw_msg *m, int stop);
/* Start a reader and open the image there (r's file and options); VG_OK, or err. */
enum vg_err ir_open_image(struct image_remote *r, struct vg_error *err);
/* Send a request and wait for IW_ERROR (err) or expect (*m kept). */
enum vg_err ir_request(struct image_remote *r, uint32_t kind, const struct iw_str *s, size_t ns,
		       uint32_t expect, struct iw_msg *m, struct vg_error *err);

#endif
