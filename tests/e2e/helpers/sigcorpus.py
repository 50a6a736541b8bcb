#!/usr/bin/env python3
"""Write files that match many rules of a YARA rule file, for the engine equivalence tests.

    sigcorpus.py RULES.yar OUTDIR [--files N] [--seed S] [--zips M]

For each file, a few rules are picked and the text strings of each are written into it (wide
strings as UTF-16LE), each repeated a random number of times so that conditions counting
matches (#a > 3) or locating them (@a[2]) have something to count, between random filler.
Half of the files start with "MZ", for conditions on uint16(0). Some files go into zip
archives (deflated and stored), so members are matched too. Hex strings, regular expressions
and xor/base64 strings are left out: the files need not match every rule, only many.

The extraction of strings is a line-oriented approximation for making test data; vigil
itself never parses YARA text (libyara does).
"""
import argparse
import os
import random
import re
import zipfile

RULE = re.compile(r'^\s*(?:private\s+|global\s+)*rule\s+(\w+)', re.M)
STRING = re.compile(r'^\s*\$\w*\s*=\s*"((?:[^"\\]|\\.)*)"([^\n]*)$', re.M)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x' and i + 3 < len(s) + 1:
                try:
                    out.append(int(s[i + 2:i + 4], 16))
                    i += 4
                    continue
                except ValueError:
                    pass
            out += {'n': b'\n', 't': b'\t', 'r': b'\r', '"': b'"', '\\': b'\\'}.get(n, n.encode())
            i += 2
            continue
        out += c.encode('utf-8', 'surrogateescape')
        i += 1
    return bytes(out)


def rules_strings(text):
    """[(rule name, [bytes...])] for rules with at least one usable text string."""
    starts = [(m.start(), m.group(1)) for m in RULE.finditer(text)] + [(len(text), None)]
    rules = []
    for (a, name), (b, _) in zip(starts, starts[1:]):
        body = text[a:b]
        cut = body.find('condition:')
        strings = []
        for m in STRING.finditer(body[:cut] if cut > 0 else body):
            mods = m.group(2)
            if 'xor' in mods or 'base64' in mods:
                continue
            s = unescape(m.group(1))
            if len(s) < 3:
                continue
            if 'wide' in mods:
                wide = s.decode('latin-1').encode('utf-16-le')
                strings.append(wide + b' ' + s if 'ascii' in mods else wide)
            else:
                strings.append(s)
        if strings:
            rules.append((name, strings))
    return rules


def make_file(rng, rules):
    parts = [b'MZ' if rng.random() < 0.5 else b'']
    for name, strings in rng.sample(rules, k=min(len(rules), rng.randint(2, 6))):
        for s in strings:
            for _ in range(rng.choice((1, 1, 2, 4, 7, 12))):
                parts.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))))
                parts.append(b' ' + s + b' ')
    parts.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 2000))))
    return b''.join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('rules')
    ap.add_argument('out')
    ap.add_argument('--files', type=int, default=300)
    ap.add_argument('--zips', type=int, default=20)
    ap.add_argument('--seed', type=int, default=16)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.rules, encoding='utf-8', errors='surrogateescape') as f:
        rules = rules_strings(f.read())
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.files):
        with open(os.path.join(a.out, 'f%04d.bin' % i), 'wb') as f:
            f.write(make_file(rng, rules))
    for i in range(a.zips):
        method = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
        with zipfile.ZipFile(os.path.join(a.out, 'z%03d.zip' % i), 'w', method) as z:
            for j in range(rng.randint(1, 5)):
                info = zipfile.ZipInfo('m%d/member%d.dat' % (i, j), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, make_file(rng, rules))


if __name__ == '__main__':
    main()
