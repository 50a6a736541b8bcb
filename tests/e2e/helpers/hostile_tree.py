#!/usr/bin/python3
"""hostile_tree.py KIND DIR [ARGS]: hostile file trees for tests/e2e/t9400, made at test time.

  names DIR EICAR          EICAR under names with a newline, terminal escapes (OSC title,
                           clear screen, colour), invalid UTF-8, control bytes, a 255-byte
                           name, and a folder whose name has all of them; prints each path
                           (hex) it made, one a line
  deep DIR LEVELS LEN EICAR  LEVELS nested folders with LEN-byte names, made one openat
                           at a time (never a long path), EICAR at the bottom as bottom.com;
                           prints the length of the bottom file's absolute path
  flat DIR N               N small files in DIR (one folder); file 0 is not EICAR
  socket PATH              a bound AF_UNIX socket at PATH (left behind when this exits)
  churn DIR SECONDS EICAR  for SECONDS, or until killed: truncate, rewrite, delete, recreate,
                           rename over, swap for a symlink or a FIFO, and remove and remake
                           folders in DIR, as fast as it can; prints the operations done
"""
import os
import random
import socket
import stat
import sys
import time


def names(d, eicar):
    data = open(eicar, "rb").read()
    made = [
        b"new\nline.com",
        b"title\x1b]0;pwned-title\x07.com",
        b"clear\x1b[2J\x1b[H.com",
        b"red\x1b[31mred.com",
        b"bad\xff\xfeutf8.com",
        b"\xc3\x28overlong\xc0\xaf.com",
        b"cr\rbs\x08del\x7f.com",
        b"L" * 251 + b".com",
    ]
    os.makedirs(d, exist_ok=True)
    bd = os.fsencode(d)
    for n in made:
        with open(bd + b"/" + n, "wb") as f:
            f.write(data)
    sub = b"dir\x1b[2J\n\xff" + b"D" * 200
    os.mkdir(bd + b"/" + sub)
    with open(bd + b"/" + sub + b"/inner\n\x1b]0;x\x07.com", "wb") as f:
        f.write(data)
    for n in made + [sub + b"/inner\n\x1b]0;x\x07.com"]:
        print(n.hex())


def deep(d, levels, length, eicar):
    data = open(eicar, "rb").read()
    os.makedirs(d, exist_ok=True)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    total = len(os.path.realpath(d))
    for i in range(levels):
        n = ("d%02d" % i) + "x" * (length - 3)
        os.mkdir(n, dir_fd=fd)
        nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
        total += 1 + len(n)
    f = os.open("bottom.com", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
    os.write(f, data)
    os.close(f)
    os.close(fd)
    print(total + len("/bottom.com"))


def flat(d, n):
    os.makedirs(d, exist_ok=True)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(n):
        f = os.open("f%06d.txt" % i, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
        os.write(f, b"clean file %d\n" % i)
        os.close(f)
    os.close(fd)


def sock(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)


def churn(d, seconds, eicar):
    data = open(eicar, "rb").read()
    rnd = random.Random(9400)
    end = time.monotonic() + seconds
    big = 20 << 20  # above the 16 MiB read buffer: the file is mapped
    ops = {}

    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # print what was done, then go
    try:
        _churn_loop(d, data, rnd, end, big, ops)
    finally:
        print(" ".join("%s=%d" % kv for kv in sorted(ops.items())), flush=True)


def _churn_loop(d, data, rnd, end, big, ops):
    def open_reg(p, flags):
        """p opened without blocking on a FIFO or following a link; OSError unless regular."""
        fd = os.open(p, flags | os.O_NONBLOCK | os.O_NOFOLLOW, 0o644)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError("not a regular file")
        return os.fdopen(fd, "r+b" if flags & os.O_RDWR else "wb")

    while time.monotonic() < end:
        sub = os.path.join(d, "s%d" % rnd.randrange(4))
        p = os.path.join(sub, "f%d.bin" % rnd.randrange(40))
        op = rnd.choices(["truncate", "rewrite", "delete", "recreate", "big", "rename",
                          "symlink", "fifo", "rmtree", "append"],
                         [3, 2, 1, 5, 0.5, 1, 1, 1, 0.1, 1])[0]
        try:
            os.makedirs(sub, exist_ok=True)
            if op == "truncate":
                with open_reg(p, os.O_WRONLY) as f:
                    f.truncate(rnd.choice([0, 10, 4096]))
            elif op == "rewrite":
                with open_reg(p, os.O_RDWR) as f:
                    f.write(os.urandom(256))
            elif op == "append":
                with open_reg(p, os.O_WRONLY | os.O_APPEND) as f:
                    f.write(data)
            elif op == "delete":
                os.unlink(p)
            elif op == "recreate":
                try:
                    os.unlink(p)
                except OSError:
                    pass
                with open_reg(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL) as f:
                    f.write(data if rnd.random() < 0.3 else os.urandom(rnd.randrange(1, 200000)))
            elif op == "big":
                p = os.path.join(sub, "f%d.bin" % rnd.randrange(3))  # few: bounded disk use
                try:
                    f = open_reg(p, os.O_RDWR | os.O_CREAT)
                except OSError:
                    os.unlink(p)
                    f = open_reg(p, os.O_RDWR | os.O_CREAT)
                with f:  # in place: a mapped reader sees it shrink or grow
                    f.truncate(0)
                    f.truncate(big)
                    f.seek(rnd.randrange(big - 100))
                    f.write(data)
            elif op == "rename":
                q = os.path.join(sub, "f%d.bin" % rnd.randrange(40))
                os.rename(p, q)
            elif op == "symlink":
                try:
                    os.unlink(p)
                except OSError:
                    pass
                os.symlink(rnd.choice(["/etc/shadow", "/dev/zero", "..", p]), p)
            elif op == "fifo":
                try:
                    os.unlink(p)
                except OSError:
                    pass
                os.mkfifo(p)
            elif op == "rmtree":
                for n in os.listdir(sub):
                    q = os.path.join(sub, n)
                    st = os.lstat(q)
                    if stat.S_ISDIR(st.st_mode):
                        continue
                    os.unlink(q)
                os.rmdir(sub)
            ops[op] = ops.get(op, 0) + 1
        except OSError:
            pass


def main():
    kind, d = sys.argv[1], sys.argv[2]
    a = sys.argv[3:]
    if kind == "names":
        names(d, a[0])
    elif kind == "deep":
        deep(d, int(a[0]), int(a[1]), a[2])
    elif kind == "flat":
        flat(d, int(a[0]))
    elif kind == "socket":
        sock(d)
    elif kind == "churn":
        churn(d, float(a[0]), a[1])
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
