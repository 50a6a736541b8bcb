#!/usr/bin/env bash
# bench/scan.sh — scanning a whole tree: vigil beside cat (the read bound), sha256sum,
# yara -r, clamscan -r and clamdscan --multiscan, with the same rules, on a generated corpus
# (bench/corpus.py: text, scripts, ELF binaries, documents, blobs, big files, archives, and
# the EICAR test file planted in 20 places, some in nested archives).
#
#   bench/scan.sh [VIGIL] [--small]      (defaults: build/vigil, the full corpus: ~20,000
#                                         files, ~1 GiB; --small: ~2,000 files, ~100 MB)
#
# The corpus is kept in ${TMPDIR:-/tmp}/vigil-bench-corpus-{full,small}-SEED (VIGIL_BENCH_SEED,
# default 1) and made again only when it is missing or does not match its MANIFEST.json.
# Every case runs 3 times with the page cache warm, on 2 cores (pinned where there are more),
# and gives the median wall time, files/s, MB/s, the peak RSS of all runs, the planted EICAR
# files found, other files flagged, and the wall time as a ratio to vigil's cold scan. Rule
# sets: vigil's embedded defaults, and ../shared/yara/large.yar where present (imported with
# vigil sigdb import; yara loads vigil's compiled .yarc; ClamAV gets the .yar files as they are
# and silently drops the rules it cannot use). Each clamscan and clamdscan run is capped at
# 600 s ("timeout"); with large.yar clamscan runs once.
#
# Writes the tables to stdout and to bench/RESULTS.md (one section per corpus variant; the
# other variant's section and bench/targets.sh's part at the top are kept). Measures; never fails for slowness. Needs root for clamd
# (it runs as the clamav user); without clamav installed those rows are left out.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bench_args scan.sh "$@"
CAP=600 # seconds, each clamscan/clamdscan run
large=$here/../../shared/yara/large.yar
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is needed (make deps)" >&2; exit 2; }
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }

# --- the corpus ------------------------------------------------------------------------------
bench_corpus

bench_workdir vigil-scanbench

# helper.py: counts planted files found in a tool's output, records rows, renders the tables.
cat >helper.py <<'PYEOF'
import json, os, re, statistics, sys

def realpath_in(outdir, p):
    return os.path.realpath(os.path.join(outdir, p))

def count(kind, manifest, out):
    outdir = os.path.dirname(manifest)
    m = json.load(open(manifest))
    planted = m["planted"]
    want = [realpath_in(outdir, e["path"]) for e in planted]
    flags = [False] * len(planted)
    flagged = set()
    info = ""
    text = open(out, "rb").read().decode("utf-8", "replace")
    if kind == "vigil":
        try:
            doc = json.loads(text)
        except ValueError:
            return None, "no JSON from vigil"
        for t in doc.get("threats", []):
            p = os.path.realpath(t.get("path", ""))
            mem = t.get("member") or []
            flagged.add(p)
            if not re.search("eicar", t.get("name", ""), re.I):
                continue
            for i, e in enumerate(planted):
                pm = e["members"]
                if p == want[i] and (mem == pm or (mem and pm and len(mem) == len(pm) and
                                    os.path.basename(mem[-1]) == os.path.basename(pm[-1]))):
                    flags[i] = True
        kinds = {}
        for pr in doc.get("problems", []):
            kinds[pr.get("kind")] = kinds.get(pr.get("kind"), 0) + 1
        info = "files %s (cached %s), objects %s, threats %s, errors %s, skipped %s, problems %s" % (
            doc.get("files_scanned"), doc.get("files_cached", "-"), doc.get("objects_scanned"),
            doc.get("threats_found"),
            doc.get("errors"), doc.get("skipped"), json.dumps(kinds, sort_keys=True))
    elif kind == "yara":
        for line in text.splitlines():
            rule, _, path = line.partition(" ")
            if not path:
                continue
            p = os.path.realpath(path)
            flagged.add(p)
            if re.search("eicar", rule, re.I):
                for i, e in enumerate(planted):
                    if p == want[i] and not e["members"]:
                        flags[i] = True
    elif kind == "clam":
        for line in text.splitlines():
            if line.endswith(" FOUND") and ": " in line:
                path = line[:-6].rsplit(": ", 1)[0]
                p = os.path.realpath(path)
                flagged.add(p)
                for i in range(len(planted)):
                    if p == want[i]:
                        flags[i] = True
            mm = re.match(r"Known viruses: (\d+)", line)
            if mm:
                info = "signatures loaded: %s" % mm.group(1)
    other = len(flagged - set(want))
    return {"found": sum(flags), "flags": "".join("1" if f else "0" for f in flags),
            "other": other, "info": info}, None

def record(a):
    # record ROWS MANIFEST SET NAME KIND OUT "WALLS" RSS_KIB STATUS [SERVER_RSS_KIB]
    rows, manifest, rset, name, kind, out, walls, rss, status = a[:9]
    server = int(a[9]) if len(a) > 9 and a[9] else None
    w = [float(x) for x in walls.split()]
    row = {"set": rset, "name": name, "kind": kind, "runs": len(w), "walls": w,
           "wall": statistics.median(w) if w else None, "rss_kib": int(rss or 0),
           "server_rss_kib": server, "status": status}
    if kind in ("vigil", "yara", "clam") and os.path.exists(out):
        res, err = count(kind, manifest, out)
        if res:
            row.update(res)
        else:
            row["status"] = err
    with open(rows, "a") as f:
        f.write(json.dumps(row) + "\n")
    m = json.load(open(manifest))
    found = "%s/%d" % (row["found"], len(m["planted"])) if "found" in row else "-"
    print("  %-8s %-44s %8s s  %6d MiB  found %s  %s" % (rset, name,
          "%.2f" % row["wall"] if row["wall"] is not None else "-", row["rss_kib"] // 1024,
          found, row["status"]), flush=True)

def render(a):
    rows_f, manifest, results, variant, head = a[:5]
    rows = [json.loads(l) for l in open(rows_f)]
    m = json.load(open(manifest))
    n, b = m["file_count"], m["total_bytes"]
    planted = m["planted"]
    det = sum(1 for e in planted if e["detectable"])
    cold = {r["set"]: r["wall"] for r in rows if r["name"].startswith("vigil scan, cold") and r["wall"]}
    out = []
    out.append("| rules | case | runs | wall (median) | files/s | MB/s | peak RSS | planted found | other files flagged | vs vigil cold |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        w = r["wall"]
        base = cold.get(r["set"] if r["set"] != "-" else "default")
        if r["status"] == "timeout":
            wall, fps, mbs, ratio = "timeout (%d s)" % w, "-", "-", "> %.1fx" % (w / base) if base else "-"
        elif w is None:
            wall = fps = mbs = ratio = "-"
        else:
            wall = "%.2f s" % w
            fps = "%.0f" % (n / w) if w > 0 else "-"
            mbs = "%.0f" % (b / w / 1e6) if w > 0 else "-"
            ratio = "%.2fx" % (w / base) if base else "-"
        rss = "%d MiB" % (r["rss_kib"] // 1024)
        if r.get("server_rss_kib"):
            rss = "%d MiB clamd (client %d)" % (r["server_rss_kib"] // 1024, r["rss_kib"] // 1024)
        found = "%d/%d" % (r["found"], len(planted)) if "found" in r else "-"
        other = str(r["other"]) if "other" in r else "-"
        status = "" if r["status"] in ("ok", "timeout") else " (%s)" % r["status"]
        out.append("| %s | %s%s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            r["set"], r["name"], status, r["runs"], wall, fps, mbs, rss, found, other, ratio))
    # which planted file each tool found
    cases = [r for r in rows if "flags" in r]
    out.append("")
    out.append("Planted EICAR files (y found, . missed; each is its own top-level file; `members` "
               "is the archive chain, outer to inner):")
    out.append("")
    short = {"yara -r -p 2": "yara", "clamscan -r": "clamscan", "vigil scan, cold": "vigil cold",
             "clamdscan --multiscan, first scan": "clamd 1st", "vigil scan, warm": "vigil warm",
             "clamdscan --multiscan, second (cached)": "clamd 2nd"}
    hdr = "| # | where | how | detectable |" + "".join(" %s %s |" % (short.get(r["name"], r["name"]), r["set"]) for r in cases)
    out.append(hdr)
    out.append("|---|---|---|---|" + "---|" * len(cases))
    for i, e in enumerate(planted):
        where = e["path"].split("/", 1)[1] + ("" if not e["members"] else " :: " + " > ".join(e["members"]))
        out.append("| %d | `%s` | %s | %s |%s" % (i + 1, where, e["how"], "yes" if e["detectable"] else "no",
                   "".join(" %s |" % ("y" if r["flags"][i] == "1" else ".") for r in cases)))
    infos = ["- %s, %s: %s" % (r["set"], r["name"], r["info"]) for r in rows if r.get("info")]
    sec = ["<!-- scan.sh:%s -->" % variant, head.rstrip("\n"), ""] + out + [""]
    if infos:
        sec += ["Tool counters (last run of each case):", ""] + infos + [""]
    sec += ["<!-- /scan.sh:%s -->" % variant]
    section = "\n".join(sec) + "\n"
    top = ("# Scan benchmark\n\n`bench/scan.sh` (`make bench`; `bench/scan.sh build/vigil --small` for the "
           "small corpus). Wall time is the median of the runs with the page cache warm, on 2 cores; "
           "MB/s counts the bytes of the files on disk, not what is unpacked from archives; peak RSS is "
           "the largest of the runs. \"planted found\" counts the planted EICAR files a tool reports, "
           "inside archives at the right member for vigil (yara does not look inside archives; ClamAV "
           "names only the top-level file). Three of the 20 are the EICAR string at the end of a "
           "larger file, which is not the EICAR test file by its definition (offset 0, at most 128 "
           "bytes): no rule here flags them, so 17 is the most any tool can find.\n\n")
    sys.path.insert(0, os.environ["BENCH_DIR"])
    from results_section import merge
    merge(results, "scan.sh", variant, section, top)
    print(section)  # after the file is written: a closed stdout (| head) loses nothing

if __name__ == "__main__":
    {"record": record, "render": render}[sys.argv[1]](sys.argv[2:])
PYEOF

rows=$work/rows.jsonl
: >"$rows"
files=$(jq .file_count "$manifest")
bytes=$(jq .total_bytes "$manifest")

# run ... : one timed run of a command (pinned), stdout to out.txt; sets $w $m $x
run() { bench_run out.txt err.txt "$@"; }
# measure SET NAME KIND REPS ACCEPT cmd... : REPS runs (the function in $before, if set, runs
# before each, untimed); ACCEPT lists the exit codes that are results, not failures
before=
measure() {
	local set=$1 name=$2 kind=$3 reps=$4 accept=$5 i walls="" rss=0 status=ok
	shift 5
	for i in $(seq "$reps"); do
		[ -n "$before" ] && "$before"
		run "$@"
		walls="$walls $w"
		[ "$m" -gt "$rss" ] && rss=$m
		if [ "$x" = 124 ]; then status=timeout; break; fi
		case " $accept " in *" $x "*) ;; *) status="exit $x: $(tail -n 1 err.txt | cut -c1-120)" ;; esac
	done
	cp out.txt "out-$set-${name//[^a-z0-9]/_}.txt"
	"$PY" helper.py record "$rows" "$manifest" "$set" "$name" "$kind" out.txt "$walls" "$rss" "$status"
}

echo "corpus: $corpus ($files files, $((bytes / 1048576)) MiB)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "warming the page cache"
bench_warm "$corpus"

# --- the read bound and hashing --------------------------------------------------------------
measure - "cat, every file" none "$REPS" 0 \
	sh -c 'find "$1" -type f -print0 | xargs -0 cat >/dev/null' sh "$corpus"
measure - "sha256sum, xargs -P 2 -n 200" none "$REPS" 0 \
	sh -c 'find "$1" -type f -print0 | xargs -0 -P 2 -n 200 sha256sum >/dev/null' sh "$corpus"

# --- rule sets ----------------------------------------------------------------------------------
mkdir -p empty
sets=default
bench_state_tmpl default
if [ -f "$large" ]; then
	bench_state_tmpl large "$large"
	sets="default large"
fi
has_clam=
if bench_has_clam; then
	has_clam=1
	bench_clamdb default
	[ -f "$large" ] && bench_clamdb large "$large"
fi
nocache=()
"$V" help scan 2>&1 | grep -q -- --no-cache && nocache=(--no-cache)
ext=()
for v in filename filepath extension filetype owner fullpath; do ext+=(-d "$v="); done

fresh_state() { bench_fresh_state "$s"; }

for s in $sets; do
	echo "rules: $s"
	yarc=$(ls "$work/tmpl-$s"/rules-*.yarc | head -n 1)
	if command -v yara >/dev/null; then
		measure "$s" "yara -r -p 2" yara "$REPS" "0 1" yara -w -r -p "$CORES" "${ext[@]}" -C "$yarc" "$corpus"
	fi
	if [ -n "$has_clam" ]; then
		reps=$REPS
		[ "$s" = large ] && reps=1
		measure "$s" "clamscan -r" clam "$reps" "0 1" timeout "$CAP" clamscan -r -i -d "$work/clamdb-$s" "$corpus"
		# clamdscan: a fresh clamd for each run, its first scan and a second (cached) one
		f_walls="" s_walls="" f_rss=0 s_rss=0 f_hwm=0 s_hwm=0 f_status=ok s_status=ok
		for i in $(seq "$reps"); do
			bench_clamd_start "$s" || { f_status="clamd did not start"; s_status=$f_status; break; }
			run timeout "$CAP" clamdscan --config-file="$work/clamd-$s.conf" --multiscan -i "$corpus"
			f_walls="$f_walls $w"; [ "$m" -gt "$f_rss" ] && f_rss=$m; cp out.txt clamd-first.txt
			h=$(bench_clamd_hwm); [ "$h" -gt "$f_hwm" ] && f_hwm=$h
			[ "$x" = 124 ] && f_status=timeout
			if [ "$x" = 124 ]; then s_status="not run (the first scan timed out)"; bench_clamd_stop; break; fi
			run timeout "$CAP" clamdscan --config-file="$work/clamd-$s.conf" --multiscan -i "$corpus"
			s_walls="$s_walls $w"; [ "$m" -gt "$s_rss" ] && s_rss=$m; cp out.txt clamd-second.txt
			h=$(bench_clamd_hwm); [ "$h" -gt "$s_hwm" ] && s_hwm=$h
			[ "$x" = 124 ] && s_status=timeout
			bench_clamd_stop
			[ "$f_status$s_status" = okok ] || break
		done
		"$PY" helper.py record "$rows" "$manifest" "$s" "clamdscan --multiscan, first scan" clam \
			clamd-first.txt "$f_walls" "$f_rss" "$f_status" "$f_hwm"
		"$PY" helper.py record "$rows" "$manifest" "$s" "clamdscan --multiscan, second (cached)" clam \
			clamd-second.txt "$s_walls" "$s_rss" "$s_status" "$s_hwm"
	fi
	# vigil: cold is a fresh copy of the state folder (rules compiled, nothing else) per run,
	# with --no-cache where vigil has it; warm is the same state folder scanned again
	before=fresh_state
	measure "$s" "vigil scan, cold" vigil "$REPS" "0 1" \
		env VIGIL_STATE_DIR="$work/state" "$V" --json scan custom "$corpus" --threads "$CORES" "${nocache[@]}"
	before=
	[ ${#nocache[@]} -gt 0 ] && VIGIL_STATE_DIR=$work/state "$V" -q scan custom "$corpus" --threads "$CORES" >/dev/null 2>&1 || true
	measure "$s" "vigil scan, warm" vigil "$REPS" "0 1" \
		env VIGIL_STATE_DIR="$work/state" "$V" --json scan custom "$corpus" --threads "$CORES"
done

# --- the results ------------------------------------------------------------------------------
load1=$(cut -d' ' -f1-3 /proc/loadavg)
ver() { "$@" 2>/dev/null | head -n 1 || true; }
kinds=$(jq -r '[.kinds | to_entries[] | "\(.key) \(.value.files) (\(.value.bytes / 1048576 | floor) MiB)"] | join(", ")' "$manifest")
warm_note="a second scan with the same state folder"
[ ${#nocache[@]} -gt 0 ] || warm_note="$warm_note (vigil has no --no-cache yet, so no scan cache: cold and warm differ only by the state folder's history)"
head=$(
	echo "## $variant corpus"
	echo
	echo "$(bench_machine);" \
		"runs pinned to $CORES cores, $REPS runs each (median), page cache warm;" \
		"load average $load0 before, $load1 after (other work on the machine shows up as noise)."
	echo
	echo "Corpus: \`bench/corpus.py --seed $SEED$([ "$variant" = small ] && echo ' --small')\`:" \
		"$files files, $((bytes / 1048576)) MiB, folders up to $(jq .max_depth "$manifest") deep;" \
		"$kinds; sha256 of the content \`$(jq -r .content_sha256 "$manifest" | cut -c1-16)\`."
	echo
	echo "Tools: $(ver "$V" --version); yara $(ver yara --version);" \
		"$(ver clamscan --version); $(ver sha256sum --version); $(ver cat --version)."
	echo
	echo "Rules: *default* = vigil's embedded rules (sigdb/default_rules.yar, 5 rules); for ClamAV" \
		"the same file as .yar plus EICAR's MD5 in a .hdb. *large* = the same plus" \
		"../shared/yara/large.yar (signature-base, 5,234 rules), imported with \`vigil sigdb import\`;" \
		"yara loads vigil's compiled \`rules-*.yarc\` (\`-C\`, the external variables defined empty" \
		"with \`-d\`); ClamAV loads the .yar files and skips what it cannot parse. clamscan is" \
		"single-threaded; clamd runs with MaxThreads $CORES and default limits (files over 100 MB" \
		"are not scanned), a fresh clamd for each first scan (its RSS is VmHWM). vigil: \`--threads" \
		"$CORES\`; cold = a fresh copy of the state folder (rules compiled)$([ ${#nocache[@]} -gt 0 ] && echo ' and `--no-cache`');" \
		"warm = $warm_note. Each clamscan and clamdscan run is capped at $CAP s (\"timeout\")."
)
BENCH_DIR=$here "$PY" helper.py render "$rows" "$manifest" "$here/RESULTS.md" "$variant" "$head"
echo "written to bench/RESULTS.md"
