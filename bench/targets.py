"""bench/targets.py — the helper of bench/targets.sh.

    targets.py planted MANIFEST FINDINGS      prints "FOUND/DETECTABLE": the planted EICAR files of
                                             bench/corpus.py's corpus among vigil's findings
    targets.py render ROWS RESULTS VARIANT HEAD
                                             the table from the rows targets.sh recorded, to
                                             stdout and as the targets.sh:VARIANT section at the
                                             top of RESULTS (bench/results_section.py)
"""
import json
import os
import re
import statistics
import sys


def planted(manifest, findings):
    m = json.load(open(manifest))
    found = [json.loads(l) for l in open(findings) if l.strip()]
    det = [e for e in m["planted"] if e["detectable"]]
    got = 0
    for e in det:
        path = e["path"].split("/", 1)[1]  # "tree/..." → under the tree
        pm = e["members"]
        for name, p, mem in found:
            if p != path or not re.search("eicar", name, re.I):
                continue
            # the right member (its last name may carry the folders inside the archive or not)
            if mem == pm or (mem and pm and len(mem) == len(pm) and
                             os.path.basename(mem[-1]) == os.path.basename(pm[-1])):
                got += 1
                break
    print("%d/%d" % (got, len(det)))


def walls(s):
    return [float(x) for x in s.split()]


def fmt_s(x):
    return "%.3f s" % x if x < 1 else "%.2f s" % x


def render(rows_f, results, variant, head):
    rows = sorted((json.loads(l) for l in open(rows_f)), key=lambda r: r["key"])
    out = ["| # | work | vigil | anchor | vigil's figure | anchor's figure | ratio (vigil / anchor) | target | met |",
           "|---|---|---|---|---:|---:|---:|---|---|"]
    details = []
    for r in rows:
        vst, ast = r["vst"], r["ast"]
        vw, aw = walls(r["vw"]), walls(r["aw"])
        target = {"le": "<= %sx" % r["target"], "lt_abs": "< %s MiB" % r["target"],
                  "faster": "vigil >= %sx faster (<= %.2fx)" % (r["target"], 1 / float(r["target"]))}[r["kind"]]
        vfig = afig = ratio = "-"
        met = "-"
        if vst.startswith("not measured") or ast.startswith("not measured"):
            met = "not measured (%s)" % (vst if vst.startswith("not measured") else ast)[len("not measured: "):]
        elif r["unit"] == "MiB":
            v, a = int(r["vfig"]), int(r["afig"])
            vfig, afig = "%d MiB" % v, "%d MiB" % a
            ratio = "%.2fx" % (v / a) if a else "-"
            met = "met" if v < float(r["target"]) else "not met"
        elif vw and aw:
            v, a = statistics.median(vw), statistics.median(aw)
            vfig, afig = fmt_s(v), fmt_s(a)
            x = v / a if a > 0 else float("inf")
            ratio = "%.2fx" % x
            if ast.startswith("timeout"):  # the anchor's figure is a lower bound
                afig, ratio = ">= " + afig, "<= " + ratio
            if vst.startswith("timeout"):
                vfig, ratio = ">= " + vfig, ">= " + ratio
            t = float(r["target"])
            ok = x <= t if r["kind"] == "le" else (a / v >= t if v > 0 else False)
            met = "met" if ok else "not met"
        bad = [("vigil", vst), ("anchor", ast)]
        bad = ["%s: %s" % (who, st) for who, st in bad if st not in ("ok",) and not st.startswith("timeout")
               and not st.startswith("not measured")]
        if bad:
            met = "failed (%s)" % "; ".join(bad)
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["key"], r["work"], r["vigil"], r["anchor"], vfig, afig, ratio, target, met))
        d = []
        if vw and r["unit"] == "s":
            d.append("runs: vigil %s s; anchor %s s%s" % (
                " ".join("%.3f" % x for x in vw), " ".join("%.3f" % x for x in aw),
                " (timed out)" if ast.startswith("timeout") else ""))
        d += [n for n in r["notes"].splitlines() if n.strip()]
        if d:
            details.append("- %s: %s" % (r["key"], "; ".join(d)))
    sec = ["<!-- targets.sh:%s -->" % variant, head.rstrip("\n"), ""] + out + ["", "Notes:", ""] + details + \
          ["", "<!-- /targets.sh:%s -->" % variant]
    section = "\n".join(sec) + "\n"
    top = ("# Targets (issue 16)\n\n`bench/targets.sh` (`make bench`, first; `bench/targets.sh build/vigil --small` "
           "for the small corpora): each of vigil's performance targets beside its anchor, measured in one run. "
           "2 cores, page cache warm, 3 runs of each side taken in turn (vigil first, then the anchor first, ...), "
           "the median wall time (peak RSS: the largest). vigil scans with `--threads 2`; cold = a fresh copy of a "
           "state folder with the rules compiled and `--no-cache`; deep containers are on (the default). "
           "The findings of vigil's scans (rule name, path under the corpus, member chain; sorted, one JSON "
           "array a line) are kept in `bench/findings/targets-VARIANT/` for equivalence checks. Measures; never "
           "fails for slowness.\n\n")
    sys.path.insert(0, os.environ["BENCH_DIR"])
    from results_section import merge
    merge(results, "targets.sh", variant, section, top, first=True)
    print(section)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "planted":
        planted(*args)
    elif cmd == "render":
        render(*args)
    else:
        sys.exit("usage: targets.py planted|render ...")
