#!/usr/bin/env python3
"""A stand-in for the local syslog socket, and a strict reader of what vigil sent to it (t9710).

  syslog_sink.py listen SOCKET OUT   bind an AF_UNIX datagram socket at SOCKET and append each
                                     datagram to OUT as one JSON line {"b64": raw bytes};
                                     exits on SIGTERM (removing SOCKET)
  syslog_sink.py parse OUT           print every message of OUT as a JSON array: header fields,
                                     msgid, params (each decoded back to its exact bytes:
                                     "<name>" as text, "<name>_b64" as base64) and msg; exit 1
                                     naming the first datagram that is not one well-formed
                                     RFC 5424 message with one vigil@32473 element
"""
import base64
import json
import os
import re
import signal
import socket
import sys

HEADER = re.compile(
    rb'<(?P<pri>[0-9]{1,3})>1 '
    rb'(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z) '
    rb'(?P<host>[!-~]{1,255}) vigil (?P<procid>[0-9]{1,20}) '
    rb'(?P<msgid>DETECTION|QUARANTINE|RESTORE|REMOVE|BLOCK) '
    rb'\[vigil@32473(?P<params>(?: [a-z0-9_]{1,32}="(?:[^"\\\]]|\\["\\\]])*")*)\]'
    rb'(?: (?P<msg>[^\n\r\0]*))?')
PARAM = re.compile(rb' ([a-z0-9_]{1,32})="((?:[^"\\\]]|\\["\\\]])*)"')


def sd_unescape(v):
    return re.sub(rb'\\(["\\\]])', rb'\1', v)


def text_unescape(v):
    """Undo core/jsonx.c vg_text_escape: \\\\, \\n, \\t, \\xNN; everything else as is."""
    out, i = bytearray(), 0
    while i < len(v):
        if v[i:i + 1] == b'\\':
            c = v[i + 1:i + 2]
            if c == b'\\':
                out += b'\\'
                i += 2
            elif c == b'n':
                out += b'\n'
                i += 2
            elif c == b't':
                out += b'\t'
                i += 2
            elif c == b'x' and re.fullmatch(rb'[0-9a-f]{2}', v[i + 2:i + 4]):
                out.append(int(v[i + 2:i + 4], 16))
                i += 4
            else:
                raise ValueError('a lone backslash at %d' % i)
        else:
            out += v[i:i + 1]
            i += 1
    return bytes(out)


def parse(raw):
    raw.decode('utf-8')  # the whole message is UTF-8 (strict)
    m = HEADER.fullmatch(raw)
    if m is None:
        raise ValueError('not an RFC 5424 message of vigil')
    params = {}
    pos = 0
    body = m.group('params')
    for p in PARAM.finditer(body):
        if p.start() != pos:
            raise ValueError('junk between parameters')
        pos = p.end()
        name = p.group(1).decode()
        if name in params:
            raise ValueError('parameter %s twice' % name)
        value = text_unescape(sd_unescape(p.group(2)))
        params[name] = value.decode('utf-8', 'backslashreplace')
        params[name + '_b64'] = base64.b64encode(value).decode()
    if pos != len(body):
        raise ValueError('junk after the parameters')
    msg = m.group('msg') or b''
    return {
        'pri': int(m.group('pri')), 'timestamp': m.group('ts').decode(),
        'hostname': m.group('host').decode(), 'procid': int(m.group('procid')),
        'msgid': m.group('msgid').decode(), 'params': params,
        'msg': text_unescape(msg).decode('utf-8', 'backslashreplace'),
        'msg_b64': base64.b64encode(text_unescape(msg)).decode(), 'length': len(raw),
    }


def listen(path, out):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path + '.tmp')
    os.rename(path + '.tmp', path)  # it exists only once it receives

    def stop(*_):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(out, 'ab', buffering=0) as f:
        while True:
            d = s.recv(1 << 17)
            f.write(json.dumps({'b64': base64.b64encode(d).decode()}).encode() + b'\n')


def main():
    if len(sys.argv) == 4 and sys.argv[1] == 'listen':
        listen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'parse':
        msgs = []
        with open(sys.argv[2], 'rb') as f:
            for n, line in enumerate(f, 1):
                raw = base64.b64decode(json.loads(line)['b64'])
                try:
                    msgs.append(parse(raw))
                except ValueError as e:
                    sys.exit('datagram %d: %s: %r' % (n, e, raw))
        json.dump(msgs, sys.stdout)
        print()
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
