#!/usr/bin/python3
# tests/e2e/helpers/report_check.py — checks of vigil's report files for the e2e scripts
# t4100-reports-formats.sh and t4200-reports-html.sh. Run with Debian's /usr/bin/python3
# (it has the jsonschema module). Each subcommand exits 0 when its checks hold, and 1 with
# the reasons on stderr when they do not:
#
#   schema REPORT.json SCHEMA            the json report validates against the schema
#   jsonl REPORT.jsonl REPORT.json SCHEMA
#                                        every line validates against its $defs record, the
#                                        line count is 1 + detections + errors + inventory,
#                                        and the head is that of the json report
#   csv REPORT.csv TREE                  RFC 4180 with CRLF; file rows name exactly the files
#                                        of TREE; no cell can run as a formula
#   csv-cell REPORT.csv FIELD VALUE      the custody row FIELD has VALUE once one leading '
#                                        is stripped, and its raw cell starts with '
#   csv-distinct REPORT.csv              no two file rows have the same path
#   bodyfile REPORT.body TREE            11 fields a line; names unescape to the files of
#                                        TREE; inode, size, uid, gid, times, mode, MD5 match
#   inventory REPORT.json TREE           inventory paths (with path_b64) are the files of TREE,
#                                        with their sha256
#   html-dom DOM.html N_DET N_ERR TITLE  in a DOM dump: N_DET <tr class="detection">,
#                                        N_ERR <tr class="error">, no <img>, no <script>, the
#                                        <title> of <head> is TITLE
#   html-static REPORT.html              the CSP meta tag; no <script>, no src/href, no URL
#                                        that a browser would load
#   html-text REPORT.html TEXT...        each TEXT is in the page's text (entities decoded)
import base64
import csv
import hashlib
import html.parser
import io
import json
import os
import stat
import sys

import jsonschema

failures = []


def fail(msg):
    failures.append(msg)


def done():
    for m in failures:
        print("report_check: " + m, file=sys.stderr)
    sys.exit(1 if failures else 0)


def tree_files(tree):
    """The regular files under tree, as bytes paths (absolute, resolved)."""
    out = []
    for d, _dirs, files in os.walk(os.fsencode(os.path.realpath(tree))):
        for f in files:
            p = os.path.join(d, f)
            if stat.S_ISREG(os.lstat(p).st_mode):
                out.append(p)
    return out


def validator(schema, ref=None):
    if ref is not None:
        schema = {"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                  "$ref": "#/$defs/" + ref}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(v, doc, what):
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    for e in errs[:5]:
        fail("%s: %s at %s" % (what, e.message[:300], "/".join(str(x) for x in e.path)))
    return not errs


def entry_path(e, key="path"):
    """The exact bytes of a path of a report entry (path_b64 when there is one)."""
    b = e.get(key + "_b64")
    if b:
        return base64.b64decode(b, validate=True)
    return e[key].encode("utf-8")


def cmd_schema(report, schema_file):
    schema = json.load(open(schema_file))
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        fail("the schema is not draft 2020-12: %r" % schema.get("$schema"))
    doc = json.load(open(report))
    validate(validator(schema), doc, report)


def cmd_jsonl(report, json_report, schema_file):
    schema = json.load(open(schema_file))
    full = json.load(open(json_report))
    vals = {k: validator(schema, "jsonl_" + k) for k in ("scan", "detection", "error", "file")}
    raw = open(report, "rb").read()
    if not raw.endswith(b"\n"):
        fail("the last line has no newline")
    lines = raw.split(b"\n")[:-1]
    counts = {"scan": 0, "detection": 0, "error": 0, "file": 0}
    for i, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            fail("line %d is not JSON: %s" % (i, e))
            continue
        kind = rec.get("record") if isinstance(rec, dict) else None
        if kind not in vals:
            fail("line %d: unknown record %r" % (i, kind))
            continue
        if (kind == "scan") != (i == 1):
            fail("line %d: a %s record" % (i, kind))
        counts[kind] += 1
        validate(vals[kind], rec, "line %d (%s)" % (i, kind))
        if rec.get("scan_id") != full["scan"]["scan_id"]:
            fail("line %d: scan_id %r" % (i, rec.get("scan_id")))
        if kind == "scan":
            for k in ("custody", "scan", "totals", "file_types", "schema_version"):
                if rec.get(k) != full.get(k):
                    fail("the scan record's %s differs from the json report's" % k)
    inv = full.get("inventory") or []
    want = 1 + len(full["detections"]) + len(full["errors"]) + len(inv)
    if len(lines) != want:
        fail("%d lines, want 1 + %d detections + %d errors + %d files = %d" % (
            len(lines), len(full["detections"]), len(full["errors"]), len(inv), want))
    for kind, key in (("detection", "detections"), ("error", "errors")):
        if counts[kind] != len(full[key]):
            fail("%d %s records, the json report has %d" % (counts[kind], kind, len(full[key])))
    if counts["file"] != len(inv):
        fail("%d file records, the json inventory has %d" % (counts["file"], len(inv)))


HEADER = ("record,scan_id,field,value,path,path_b64,image_path,member,member_b64,name,namespace,author,description,reference,"
          "sha256,sha1,md5,size,type,permissions,uid,gid,inode,atime,mtime,ctime,crtime,action,"
          "allowed_by,detected_at,error_kind,error_reason,image_partition,image_offset,image_fs,"
          "image_inode,image_allocated").split(",")


def unquote_cell(v):
    return v[1:] if v.startswith("'") else v


def csv_path_bytes(d):
    """The exact bytes of the path of a CSV row: path_b64 when set, else the cell."""
    if d["path_b64"]:
        return base64.b64decode(d["path_b64"])
    return unquote_cell(d["path"]).encode("utf-8")


def read_csv(report):
    raw = open(report, "rb").read()
    text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    return raw, rows


def cmd_csv(report, tree):
    raw, rows = read_csv(report)
    if not rows or rows[0] != HEADER:
        fail("header row is %r" % (rows[:1],))
        return
    if not raw.endswith(b"\r\n"):
        fail("the file does not end with CRLF")
    # Every record ends with CRLF; a bare LF can only be inside a quoted cell.
    cells_lf = sum(c.count("\n") for r in rows for c in r)
    cells_crlf = sum(c.count("\r\n") for r in rows for c in r)
    if raw.count(b"\r\n") - cells_crlf != len(rows):
        fail("%d CRLF line ends for %d records" % (raw.count(b"\r\n") - cells_crlf, len(rows)))
    if raw.count(b"\n") - raw.count(b"\r\n") != cells_lf - cells_crlf:
        fail("bare LF outside quoted cells")
    dicts = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    for i, r in enumerate(rows, 1):
        if len(r) != len(HEADER):
            fail("row %d has %d cells" % (i, len(r)))
        for c in r:
            if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
                fail("row %d: a cell starts with %r unescaped: %r" % (i, c[:1], c[:60]))
    kinds = {d["record"] for d in dicts}
    if not kinds <= {"custody", "detection", "error", "file"}:
        fail("unknown record kinds %r" % (kinds,))
    got = sorted(csv_path_bytes(d) for d in dicts if d["record"] == "file")
    want = sorted(tree_files(tree))
    if got != want:
        fail("file rows name %r, the tree has %r" % (sorted(set(got) ^ set(want)), len(want)))
    for d in dicts:
        if d["record"] == "detection" and d["member"]:
            m = json.loads(unquote_cell(d["member"]))
            if not (isinstance(m, list) and all(isinstance(x, str) for x in m)):
                fail("member is not a JSON array of names: %r" % d["member"])
        if d["record"] == "custody" and not d["field"]:
            fail("custody row without a field")


def cmd_csv_cell(report, field, value):
    _raw, rows = read_csv(report)
    hits = [r for r in rows[1:] if r[0] == "custody" and r[2] == field]
    if len(hits) != 1:
        fail("%d custody rows for %s" % (len(hits), field))
        return
    cell = hits[0][3]
    if not cell.startswith("'"):
        fail("%s cell %r does not start with '" % (field, cell))
    if unquote_cell(cell) != value:
        fail("%s is %r once unquoted, want %r" % (field, unquote_cell(cell), value))


def cmd_csv_distinct(report):
    raw, _rows = read_csv(report)
    dicts = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    paths = [csv_path_bytes(d) for d in dicts if d["record"] == "file"]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        fail("file rows share a path (two names became one): %r" % dup)


def unescape_body_name(s):
    """The bytes of a bodyfile name: \\\\ \\| \\n \\t \\xNN undone."""
    b = s.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(b):
        c = b[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        n = b[i + 1:i + 2]
        if n in (b"\\", b"|"):
            out += n
            i += 2
        elif n == b"n":
            out.append(10)
            i += 2
        elif n == b"t":
            out.append(9)
            i += 2
        elif n == b"x":
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape in %r" % s)
    return bytes(out)


def split_body_line(line):
    """Split on | that is not escaped by a backslash."""
    fields, cur, i = [], [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            cur.append(line[i:i + 2])
            i += 2
            continue
        if ch == "|":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    fields.append("".join(cur))
    return fields


def cmd_bodyfile(report, tree):
    raw = open(report, "rb").read()
    text = raw.decode("utf-8")
    if not text.endswith("\n"):
        fail("no newline at the end")
    lines = text.split("\n")[:-1]
    files = tree_files(tree)
    # stat everything before reading any file: reading moves the access time
    sts = {p: os.lstat(p) for p in files}
    seen = []
    for ln, line in enumerate(lines, 1):
        f = split_body_line(line)
        if len(f) != 11:
            fail("line %d has %d fields: %r" % (ln, len(f), line))
            continue
        md5, name, inode, mode, uid, gid, size, atime, mtime, ctime, crtime = f
        try:
            path = unescape_body_name(name)
        except ValueError as e:
            fail("line %d: %s" % (ln, e))
            continue
        seen.append(path)
        st = sts.get(path)
        if st is None:
            fail("line %d: %r is no file of the tree" % (ln, path))
            continue
        want = {
            "inode": st.st_ino, "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size,
            "atime": st.st_atime_ns // 10**9, "mtime": st.st_mtime_ns // 10**9,
            "ctime": st.st_ctime_ns // 10**9,
        }
        got = {"inode": inode, "uid": uid, "gid": gid, "size": size, "atime": atime,
               "mtime": mtime, "ctime": ctime}
        for k in want:
            try:
                g = int(got[k])
            except ValueError:
                fail("line %d: %s is not an integer: %r" % (ln, k, got[k]))
                continue
            if g != want[k]:
                fail("line %d (%r): %s %d, stat says %d" % (ln, path, k, g, want[k]))
        try:
            int(crtime)
        except ValueError:
            fail("line %d: crtime is not an integer: %r" % (ln, crtime))
        fm = stat.filemode(st.st_mode)
        if mode != "r/r" + fm[1:]:
            fail("line %d (%r): mode %r, want %r" % (ln, path, mode, "r/r" + fm[1:]))
        sts[path] = st
    for ln, line in enumerate(lines, 1):
        f = split_body_line(line)
        if len(f) != 11:
            continue
        try:
            path = unescape_body_name(f[1])
        except ValueError:
            continue
        if path in sts:
            h = hashlib.md5(open(path, "rb").read()).hexdigest()
            if f[0] != h:
                fail("line %d (%r): MD5 %s, the file's is %s" % (ln, path, f[0], h))
    if sorted(seen) != sorted(files):
        fail("bodyfile names %d files, the tree has %d; differing: %r" % (
            len(seen), len(files), sorted(set(seen) ^ set(files))))


def cmd_inventory(report, tree):
    doc = json.load(open(report))
    inv = doc.get("inventory")
    if not isinstance(inv, list):
        fail("inventory is %r" % (inv,))
        return
    files = {p: os.lstat(p) for p in tree_files(tree)}
    got = {}
    for e in inv:
        p = entry_path(e)
        got[p] = e
        st = files.get(p)
        if st is None:
            fail("inventory names %r, no file of the tree" % p)
            continue
        if e["size"] != st.st_size or e["inode"] != st.st_ino or e["mode"] != st.st_mode:
            fail("%r: size/inode/mode differ from stat" % p)
        if e["permissions"] != stat.filemode(st.st_mode):
            fail("%r: permissions %r" % (p, e["permissions"]))
    for p in files:
        e = got.get(p)
        if e is None:
            fail("the inventory lacks %r" % p)
            continue
        h = hashlib.sha256(open(p, "rb").read()).hexdigest()
        if e["sha256"] != h:
            fail("%r: sha256 %r, the file's is %s" % (p, e["sha256"], h))
    if len(inv) != len(files):
        fail("%d inventory entries for %d files" % (len(inv), len(files)))


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.rows = {}
        self.attrs = []
        self.stack = []
        self.head_title = None
        self._in_head_title = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, attrs))
        if tag == "tr":
            for k, v in attrs:
                if k == "class":
                    for c in (v or "").split():
                        self.rows[c] = self.rows.get(c, 0) + 1
        if tag == "title" and "head" in self.stack and "svg" not in self.stack:
            self._in_head_title = True
            self.head_title = ""
        if tag not in ("meta", "br", "rect", "link", "img", "input", "hr", "col", "path"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_head_title = False
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._in_head_title:
            self.head_title += data
        self.text.append(data)


def parse(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    d.close()
    return d


def cmd_html_dom(dom, n_det, n_err, title):
    d = parse(dom)
    if d.rows.get("detection", 0) != int(n_det):
        fail("%d detection rows, want %s" % (d.rows.get("detection", 0), n_det))
    if d.rows.get("error", 0) != int(n_err):
        fail("%d error rows, want %s" % (d.rows.get("error", 0), n_err))
    for tag in ("img", "script", "iframe", "object", "embed", "link"):
        if d.tags.get(tag, 0):
            fail("%d <%s> elements in the DOM" % (d.tags[tag], tag))
    if d.head_title != title:
        fail("the title is %r, want %r" % (d.head_title, title))
    ids = {v for _t, a in d.attrs for k, v in a if k == "id"}
    for want in ("summary", "charts", "detections", "detections-table", "errors",
                 "errors-table", "custody"):
        if want not in ids:
            fail("no element with id %s" % want)


def cmd_html_static(report):
    src = open(report, encoding="utf-8").read()
    d = parse(report)
    if d.tags.get("script", 0) or "<script" in src.lower():
        fail("a <script> in the file")
    csp = [dict(a) for t, a in d.attrs if t == "meta" and
           (dict(a).get("http-equiv") or "").lower() == "content-security-policy"]
    if len(csp) != 1 or "default-src 'none'" not in (csp[0].get("content") or ""):
        fail("no CSP meta tag with default-src 'none': %r" % csp)
    for tag, attrs in d.attrs:
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "formaction", "poster", "background",
                     "data", "xlink:href", "ping"):
                fail("<%s %s=%r>" % (tag, k, v))
            if k.startswith("on"):
                fail("<%s %s=...> event handler" % (tag, k))
            if v and "://" in v and not (k == "xmlns" and tag == "svg"):
                fail("<%s %s=%r> names a URL" % (tag, k, v))
    low = src.lower()
    for bad in ("url(", "@import", "<link", "<iframe", "<object", "<embed", "<base"):
        if bad in low:
            fail("the file contains %r" % bad)
    if d.tags.get("html") != 1 or d.tags.get("style", 0) < 1:
        fail("not one document with inline CSS: %r" % d.tags)


def cmd_html_text(report, *texts):
    d = parse(report)
    text = "".join(d.text)
    for t in texts:
        if t not in text:
            fail("%r is not in the page's text" % t)


CMDS = {
    "schema": cmd_schema, "jsonl": cmd_jsonl, "csv": cmd_csv, "csv-cell": cmd_csv_cell,
    "csv-distinct": cmd_csv_distinct, "bodyfile": cmd_bodyfile, "inventory": cmd_inventory,
    "html-dom": cmd_html_dom, "html-static": cmd_html_static, "html-text": cmd_html_text,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        print("usage: report_check.py %s ARGS..." % "|".join(CMDS), file=sys.stderr)
        sys.exit(2)
    CMDS[sys.argv[1]](*sys.argv[2:])
    done()
