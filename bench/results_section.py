"""bench/results_section.py — one corpus variant's section of a RESULTS file, replaced.

A benchmark writes its table between <!-- SCRIPT:VARIANT --> and <!-- /SCRIPT:VARIANT -->;
the other variant's section (full or small) is kept as it was, under a fixed top text. Its top
text and sections together are its part, between <!-- part:SCRIPT --> and
<!-- /part:SCRIPT -->, so that several benchmarks share one file (bench/targets.sh's part
comes first in RESULTS.md, bench/scan.sh's after it): a benchmark rewrites only its own part
and keeps the others where they are. Text outside any part (a file written before parts
existed) belongs to the benchmark whose sections it holds.

    python3 bench/results_section.py RESULTS SCRIPT VARIANT SECTION_FILE TOP_FILE [--first]
or, from Python, merge(results, script, variant, section, top, first=False). A new part goes at
the end of the file, or with first at its beginning.
"""
import os
import re
import sys

VARIANTS = ("full", "small")


def _sections(text, script):
    keep = {}
    for v in VARIANTS:
        m = re.search(r"<!-- %s:%s -->.*?<!-- /%s:%s -->\n" % (re.escape(script), v, re.escape(script), v),
                      text, re.S)
        if m:
            keep[v] = m.group(0)
    return keep


def _chunks(text):
    """The file as [(owner, text)]: owner is a part's script, or None for text outside parts."""
    out, pos = [], 0
    for m in re.finditer(r"<!-- part:(\S+) -->\n.*?<!-- /part:\1 -->\n", text, re.S):
        if m.start() > pos:
            out.append((None, text[pos:m.start()]))
        out.append((m.group(1), m.group(0)))
        pos = m.end()
    if pos < len(text):
        out.append((None, text[pos:]))
    return out


def merge(results, script, variant, section, top, first=False):
    old = open(results).read() if os.path.exists(results) else ""
    chunks = _chunks(old)
    mine = [i for i, (owner, text) in enumerate(chunks) if owner == script]
    if not mine:  # text outside parts that holds this script's sections is its old part
        mine = [i for i, (owner, text) in enumerate(chunks) if owner is None and _sections(text, script)]
    keep = {}
    for i in mine:
        keep.update(_sections(chunks[i][1], script))
    keep[variant] = section
    part = "<!-- part:%s -->\n%s%s<!-- /part:%s -->\n" % (
        script, top, "\n".join(keep[v] for v in VARIANTS if v in keep), script)
    if mine:
        chunks[mine[0]] = (script, part)
        chunks = [c for i, c in enumerate(chunks) if i not in mine[1:]]
    elif first:
        chunks.insert(0, (script, part))
    else:
        chunks.append((script, part))
    out = ""
    for owner, text in chunks:
        if out and not out.endswith("\n\n") and not text.startswith("\n"):
            out += "\n"  # a blank line between parts
        out += text
    with open(results + ".tmp", "w") as f:
        f.write(out)
    os.rename(results + ".tmp", results)


if __name__ == "__main__":
    results, script, variant, section_file, top_file = sys.argv[1:6]
    merge(results, script, variant, open(section_file).read(), open(top_file).read(),
          first="--first" in sys.argv[6:])
