"""bench/results_section.py — one corpus variant's section of a RESULTS file, replaced.

A benchmark writes its table between <!-- SCRIPT:VARIANT --> and <!-- /SCRIPT:VARIANT -->;
the other variant's section (full or small) is kept as it was, under a fixed top text.

    python3 bench/results_section.py RESULTS SCRIPT VARIANT SECTION_FILE TOP_FILE
or, from Python, merge(results, script, variant, section, top).
"""
import os
import re
import sys

VARIANTS = ("full", "small")


def merge(results, script, variant, section, top):
    old = open(results).read() if os.path.exists(results) else ""
    keep = {}
    for v in VARIANTS:
        m = re.search(r"<!-- %s:%s -->.*?<!-- /%s:%s -->\n" % (re.escape(script), v, re.escape(script), v),
                      old, re.S)
        if m:
            keep[v] = m.group(0)
    keep[variant] = section
    with open(results + ".tmp", "w") as f:
        f.write(top + "\n".join(keep[v] for v in VARIANTS if v in keep))
    os.rename(results + ".tmp", results)


if __name__ == "__main__":
    results, script, variant, section_file, top_file = sys.argv[1:6]
    merge(results, script, variant, open(section_file).read(), open(top_file).read())
