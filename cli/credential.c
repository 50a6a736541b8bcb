/*
 * cli/credential.c — the keys of encrypted volumes in a disk image: --credential KIND:FILE
 * (read by image_creds_add; a key never appears on the command line itself, where ps and the
 * shell history would see it) and, when standard input is a terminal, a prompt with echo
 * off for a volume that no credential unlocks.
 */
#include "cli/cli.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/jsonx.h"

/* The longest passphrase typed at the prompt. */
#define TYPED_MAX 1024

/* Read a line from fd with echo off; its length, or -1. */
static ssize_t
read_hidden(int fd, char *buf, size_t size)
{
	struct termios old, quiet;
	ssize_t n = 0, r;
	char ch;

	if (tcgetattr(fd, &old) != 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSANOW, &quiet) != 0)
		return -1;
	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n')
		if ((size_t)n < size)
			buf[n++] = ch;
	tcsetattr(fd, TCSANOW, &old);
	return r < 0 ? -1 : n;
}

/* image_creds.ask: "Passphrase for the luks2 volume p3 of disk.raw (empty: skip it): ". */
static int
ask(void *arg, const char *volume, struct image_credential *out)
{
	char *buf, *what = vg_text_escape(volume, strlen(volume));
	ssize_t n;

	(void)arg;
	if ((buf = malloc(TYPED_MAX)) == NULL) {
		free(what);
		return 0;
	}
	fprintf(stderr, "Passphrase for the %s (empty: leave it locked): ", what ? what : "volume");
	fflush(stderr);
	free(what);
	n = read_hidden(STDIN_FILENO, buf, TYPED_MAX);
	fputc('\n', stderr);
	if (n <= 0) {
		OPENSSL_clear_free(buf, TYPED_MAX);
		return 0;
	}
	out->kind = "password";
	out->secret = (unsigned char *)buf;
	out->len = (size_t)n;
	return 1;
}

void
cli_credential_prompt(struct cli *cli, struct image_creds *creds)
{
	if (!cli->json && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		creds->ask = ask;
		creds->ask_arg = cli;
	}
}
