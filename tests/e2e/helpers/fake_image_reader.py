#!/usr/bin/python3
"""A stand-in for vigil-image that misbehaves on purpose (tests/e2e/t6510-image-reader.sh).

vigil starts it as `vigil-image --fd 3 --memory-mb N` with an empty environment, so what it
does is read from the file `mode` beside it:
  crash     says the volume is truncated (a problem of the whole volume, as the reader finds
            it each time it opens the image), hands over one object (the EICAR file), then
            dies of SIGSEGV reading the next file; started again, it is told to skip both
            (IW_DONE) and ends the walk
  crashloop dies of SIGSEGV as soon as the walk starts, every time
  noisy     writes a terminal escape sequence to its stderr, then ends the walk
  unsealed  hands over an object in a memfd that is not sealed
  overflow  hands over an object with more bytes in flight than it reserved
  garbage   sends a datagram that is no message
  badkind   sends a problem of a kind vigil does not know
The protocol is scanner/image_wire.h.
"""
import json
import os
import signal
import socket
import struct
import sys

HDR = struct.Struct("=II3Q4I")
MAGIC = 0x56494D31
(HELLO, CRED, OPEN, OPENED, ERROR, QUICK, OK, LIST, LISTED, WALK, CURRENT, PROBLEM, OBJECT,
 EXCLUDED, DONE, RESERVE, ASK, ANSWER, END, SPOOL) = range(1, 21)
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
INV = struct.pack("=12q", len(EICAR), 0o100644, 0, 0, 0, 12, 1, 0, 0, 0, 0, 0)

sock = socket.socket(fileno=3)
mode = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mode")).read().strip()


def send(kind, n=(0, 0, 0), strs=(), fd=None):
    strs = [s if isinstance(s, bytes) else s.encode() for s in strs] + [b""] * (4 - len(strs))
    data = HDR.pack(MAGIC, kind, *n, *[len(s) for s in strs]) + b"".join(strs)
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))] if fd is not None else []
    sock.sendmsg([data], anc)


def recv():
    data, anc, _, _ = sock.recvmsg(256 << 10, socket.CMSG_SPACE(4))
    if not data:
        sys.exit(0)
    h = HDR.unpack_from(data)
    return h[1], h[2:5]


def memfd(data, seal=True):
    fd = os.memfd_create("fake", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seal:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW |
                    fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    return fd


def ask(kind, n=(0, 0, 0), strs=()):
    send(kind, n, strs)
    k, a = recv()
    assert k == ANSWER
    return a


vols = [{"partition": 0, "offset": 0, "length": 1 << 20, "description": "fake", "fs": "ext4",
         "status": "skipped", "chain": ["ext4"]}]
send(HELLO, strs=("fake", "0"))
while True:
    kind, n = recv()
    if kind == OPEN:
        send(OPENED, strs=("raw", json.dumps(vols)))
    elif kind == WALK:
        where = "fake:p0:/e.com"
        loc = json.dumps({"partition": 0, "path": "/e.com"})
        if mode == "crashloop":
            os.kill(os.getpid(), signal.SIGSEGV)
        if mode == "noisy":
            os.write(2, b"\x1b]0;pwned\x07 title set\n\x1b[2J")
            send(END, (1, 0, 0), (json.dumps([dict(v, status="scanned") for v in vols]),))
        if mode == "crash":
            send(PROBLEM, strs=("fake:p0", json.dumps({"partition": 0}), "error",
                                "the image ends inside this volume"))
            if ask(DONE, strs=(where,))[0] == 0:
                send(OBJECT, (len(EICAR), 1, 0), (where, loc, INV), memfd(EICAR))
            if ask(DONE, strs=("fake:p0:/next",))[0] == 0:
                os.kill(os.getpid(), signal.SIGSEGV)  # "reading" /next
            done = [dict(v, status="scanned") for v in vols]
            send(END, (1, 0, 0), (json.dumps(done),))
        elif mode == "garbage":
            sock.send(b"\x00" * 7)
        elif mode == "badkind":
            send(PROBLEM, strs=(where, loc, "pwned", "no such kind"))
        else:
            # small: not reserved ahead (flight 0), vigil reserves it on arrival; overflow
            # claims 1 MiB in flight that it never reserved
            fd = memfd(EICAR, seal=(mode != "unsealed"))
            flight = (1 << 20) if mode == "overflow" else 0
            send(OBJECT, (len(EICAR), 1, flight), (where, loc, INV), fd)
    else:
        send(ERROR, (5, 0, 0), ("unexpected",))
