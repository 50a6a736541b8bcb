/* core/path.c — lexical path handling and small file-system helpers. */
#include "core/path.h"
#include "core/reach.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum vg_err
vg_path_absolute(const char *in, char **out, struct vg_error *err)
{
	char *buf, *res, *cwd = NULL;
	size_t n = 0, len;
	const char *p;

	if (in == NULL || in[0] == '\0')
		return vg_error_set(err, VG_INVAL, "empty path");
	if (in[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return vg_error_set(err, VG_IO, "cannot read the current folder: %s",
					    strerror(errno));
	}
	len = (cwd ? strlen(cwd) : 0) + strlen(in) + 2;
	buf = malloc(len);
	res = malloc(len + 1);
	if (buf == NULL || res == NULL) {
		free(buf);
		free(res);
		free(cwd);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	snprintf(buf, len, "%s/%s", cwd ? cwd : "", in);
	free(cwd);

	/* Fold components into res; n is its length, res never ends with '/' except "/". */
	for (p = buf; *p;) {
		const char *q;
		size_t clen;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		q = strchr(p, '/');
		clen = q ? (size_t)(q - p) : strlen(p);
		if (clen == 1 && p[0] == '.') {
			/* nothing */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && res[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			res[n++] = '/';
			memcpy(res + n, p, clen);
			n += clen;
		}
		p += clen;
	}
	if (n == 0)
		res[n++] = '/';
	res[n] = '\0';
	free(buf);
	*out = res;
	return VG_OK;
}

const char *
vg_path_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

const char *
vg_path_ext(const char *base)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base || dot[1] == '\0')
		return NULL;
	return dot + 1;
}

char *
vg_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *s;

	if (dl > 0 && dir[dl - 1] == '/')
		dl--;
	s = malloc(dl + nl + 2);
	if (s == NULL)
		return NULL;
	memcpy(s, dir, dl);
	s[dl] = '/';
	memcpy(s + dl + 1, name, nl + 1);
	return s;
}

int
vg_path_within(const char *path, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (pl == 1 && prefix[0] == '/')
		return path[0] == '/';
	return strncmp(path, prefix, pl) == 0 && (path[pl] == '\0' || path[pl] == '/');
}

enum vg_err
vg_mkdir_p(const char *dir, mode_t mode, struct vg_error *err)
{
	char *tmp = strdup(dir);
	char *p;

	if (tmp == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	for (p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
				int e = errno;
				enum vg_err code = e == EACCES || e == EROFS ? VG_PERM : VG_IO;

				vg_error_set(err, code, "cannot create folder '%s': %s", tmp, strerror(e));
				free(tmp);
				return code;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(tmp);
	return VG_OK;
}

char *
vg_default_state_dir(void)
{
	const char *env = getenv("VIGIL_STATE_DIR");
	char *s;

	if (env && env[0])
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/lib/vigil");
	env = getenv("XDG_STATE_HOME");
	if (env && env[0])
		return vg_path_join(env, "vigil");
	env = getenv("HOME");
	if (env == NULL || env[0] == '\0')
		env = "/tmp";
	if (asprintf(&s, "%s/.local/state/vigil", env) < 0)
		return NULL;
	return s;
}

ssize_t
vg_read_full(int fd, void *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = read(fd, (char *)buf + got, want - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
vg_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

enum vg_err
vg_read_file(const char *path, size_t max, char **data, size_t *len, struct vg_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;
	char *buf;

	if (fd < 0)
		return vg_error_set(err, errno == ENOENT ? VG_NOENT : VG_IO, "cannot open '%s': %s",
				    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return vg_error_set(err, VG_INVAL, "'%s' is not a regular file of at most %zu MiB",
				    path, max >> 20);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	n = vg_read_full(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		return vg_error_set(err, VG_IO, "cannot read '%s': %s", path, strerror(errno));
	}
	buf[n] = '\0';
	*data = buf;
	*len = (size_t)n;
	return VG_OK;
}

enum vg_err
vg_sha256_fd(int fd, const char *name, char hex[65], struct vg_error *err)
{
	unsigned char buf[1 << 16], d[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ssize_t n = 0;
	int i;

	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			EVP_DigestUpdate(md, buf, (size_t)n);
	if (n < 0) {
		int en = errno;

		EVP_MD_CTX_free(md);
		return vg_error_set(err, VG_IO, "cannot read '%s': %s", name, strerror(en));
	}
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return VG_OK;
}

enum vg_err
vg_sha256_file(const char *path, char hex[65], struct vg_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	enum vg_err e;

	if (fd < 0)
		return vg_error_set(err, errno == ENOENT ? VG_NOENT : VG_IO, "cannot read '%s': %s",
				    path, strerror(errno));
	/* a FIFO or a device never blocks the check: only a regular file is read */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vg_error_set(err, VG_INVAL, "cannot read '%s': not a regular file", path);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	e = vg_sha256_fd(fd, path, hex, err);
	close(fd);
	return e;
}

enum vg_err
vg_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		     struct vg_error *err)
{
	struct vg_out o;
	enum vg_err rc = vg_out_create(path, mode, &o, err);

	if (rc != VG_OK)
		return rc;
	if (vg_write_full(o.fd, data, len) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot write '%s': %s", path, strerror(errno));
		vg_out_abort(&o);
		return rc;
	}
	return vg_out_commit(&o, 0, err);
}
