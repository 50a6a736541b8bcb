#!/usr/bin/env python3
"""rtp_try.py exec|open PATH: try to execute (execv, no shell fallback) or to read PATH.

Prints OK (open) or the errno name (EPERM, ENOEXEC, ...) and exits 1 on failure; a successful
exec becomes the program itself.
"""
import errno
import os
import sys

what, path = sys.argv[1], sys.argv[2]
try:
    if what == "exec":
        os.execv(path, [path])
    with open(path, "rb") as f:
        f.read()
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
