#!/usr/bin/env bash
# bench/targets.sh — vigil's performance targets (issue 16), each beside its anchor in one run:
#
#   1. cold scan, vigil's embedded rules            vigil / yara -r -p 2 (same compiled rules)  <= 1.0x
#   2. cold scan, signature-base (large.yar)        vigil / yara -C -r -p 2                      <= 1.0x
#   3. warm rescan (scan cache), signature-base     vigil / find -printf stat walk               <= 3x
#   4. peak RSS, signature-base loaded, cold scan   vigil and its extractors (yara's beside)     < 200 MiB
#   5. quarantine add, one 512 MiB random file      vigil / dd conv=fsync copy                   <= 2x
#   6. quarantine restore, the same file            vigil / the same dd copy                     <= 2x
#   7. one small file, 1,000,000 SHA-256 imported   vigil / vigil with no hash list              <= 2x
#   8. deep containers on, embedded rules: the scan corpus (a) and the deep corpus (b) of
#      bench/deep.sh                                vigil / clamdscan --multiscan, first scan    vigil >= 10x faster
#
#   bench/targets.sh [VIGIL] [--small]     (defaults: build/vigil, the full corpora; --small:
#                                            the small corpora, the same 512 MiB file and hashes)
#
# The corpora are bench/scan.sh's and bench/deep.sh's (bench/common.sh makes them when missing).
# All runs on 2 cores (pinned where there are more), page cache warm, 3 runs of each side taken
# in turn (vigil first in odd rounds, the anchor first in even ones, so drift hits both); the
# figure is the median (peak RSS: the largest). vigil: --threads 2; a cold scan is a fresh copy
# of a state folder with the rules compiled, with --no-cache. clamd: a fresh clamd for each
# first scan (MaxThreads 2, started untimed), each clamdscan capped at 600 s.
#
# The findings of every vigil scan (rule name, path under the corpus, member chain; sorted,
# one JSON array a line) go to bench/findings/targets-VARIANT/CASE.jsonl, their count and
# SHA-256 into the notes. Writes the table to stdout and to the top of bench/RESULTS.md (a
# section per variant; the other's is kept). Measures; never fails for slowness: exits 1 when a
# tool fails or vigil misses findings (a planted EICAR file, the listed hash, a finding of the
# cold scan missing from the warm one, or runs that disagree), 2 when it cannot run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bench_args targets.sh "$@"
CAP=600       # seconds, each clamdscan run
QMIB=512      # the quarantined file
HASHES=1000000
large=$here/../../shared/yara/large.yar
bench_need /usr/bin/time jq yara
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }

bench_corpus
bench_deep_corpus
bench_workdir vigil-targetsbench
bench_copy_vigil
fdir=$here/findings/targets-$variant
rm -rf "$fdir"
mkdir -p "$fdir"
rows=$work/rows.jsonl
: >"$rows"
failed=0
has_clam=
bench_has_clam && has_clam=1

echo "corpus (a): $corpus ($(jq .file_count "$manifest") files); deep corpus (b): $dtree ($dfiles files)"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "warming the page cache"
bench_warm "$corpus" "$dtree"

# --- state templates, the anchors' rules -------------------------------------------------------
bench_state_tmpl default
[ -f "$large" ] && bench_state_tmpl large "$large"
# 7: a small file and a list of $HASHES SHA-256 (seeded), its own digest among them
mkdir -p ioc
printf 'vigil bench: one small file whose SHA-256 is in a list of %d\n' "$HASHES" >ioc/sample.txt
"$PY" - "$HASHES" "$(sha256sum ioc/sample.txt | cut -d' ' -f1)" "$SEED" >ioc/hashes.ioc <<'PYEOF'
import hashlib, sys
n, mine, seed = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = sys.stdout
for i in range(n):
    out.write((mine if i == n // 2 else hashlib.sha256(b"vigil-bench-ioc-%s-%d" % (seed.encode(), i)).hexdigest()) + "\n")
PYEOF
bench_state_tmpl ioc ioc/hashes.ioc
# 5, 6: a state folder whose vault has its key
mkdir -p q
echo tiny >q/tiny
VIGIL_STATE_DIR=$work/tmpl-q "$V" -q quarantine add q/tiny >/dev/null
VIGIL_STATE_DIR=$work/tmpl-q "$V" -q quarantine remove "$(VIGIL_STATE_DIR=$work/tmpl-q "$V" --json quarantine list | jq '.items[0].id')" >/dev/null
head -c $((QMIB * 1048576)) /dev/urandom >q/master.bin
qsha=$(sha256sum q/master.bin | cut -d' ' -f1)
if [ -n "$has_clam" ]; then
	bench_clamdb default
fi
yext=()
for v in filename filepath extension filetype owner fullpath; do yext+=(-d "$v="); done

# --- one case: runs of both sides, taken in turn ---------------------------------------------
# A case's runs, by side (vigil, anchor; the quarantine has two cases at once: also rvigil,
# ranchor): W the walls, R the peak RSS (KiB), S the status. case_begin empties them;
# timed SIDE OUT CMD...: one run (bench_run, stdout to OUT), its wall and peak RSS kept, an exit
# code outside $accept recorded (124: a timeout); order ROUND: which side runs first.
declare -A W R S
case_begin() {
	local k
	for k in vigil anchor rvigil ranchor; do
		W[$k]="" R[$k]=0 S[$k]=ok
	done
	notes=""
	accept="0 1"
}
fail() { # SIDE WHY: a tool failed or findings are missing
	echo "  FAILED ($1): $2" >&2
	failed=1
	[ "${S[$1]}" = ok ] && S[$1]=$2
	return 0
}
timed() {
	local side=$1 out=$2 err
	shift 2
	err=$work/${out##*/}.err
	bench_run "$out" "$err" "$@"
	echo "    $side: $w s, $((m / 1024)) MiB, exit $x"
	W[$side]="${W[$side]} $w"
	[ "$m" -gt "${R[$side]}" ] && R[$side]=$m
	if [ "$x" = 124 ]; then
		S[$side]="timeout ($CAP s)"
		return 0
	fi
	case " $accept " in *" $x "*) ;; *) fail "$side" "exit $x: $(tail -n 1 "$err" | cut -c1-120)" ;; esac
}
order() { if [ $(($1 % 2)) = 1 ]; then echo vigil anchor; else echo anchor vigil; fi; }
note() { notes="$notes$*"$'\n'; }
# row KEY WORK VIGIL ANCHOR UNIT KIND TARGET [VIGIL_FIGURE ANCHOR_FIGURE]: one row of the table.
# UNIT s (the figures are the medians of the runs) or MiB (given); KIND le (vigil / anchor <=
# TARGET), lt_abs (vigil's figure < TARGET MiB) or faster (anchor / vigil >= TARGET)
row() {
	jq -nc --arg key "$1" --arg work "$2" --arg vigil "$3" --arg anchor "$4" --arg unit "$5" \
		--arg kind "$6" --arg target "$7" --arg vfig "${8:-}" --arg afig "${9:-}" \
		--arg vw "${W[vigil]}" --arg aw "${W[anchor]}" --arg vst "${S[vigil]}" --arg ast "${S[anchor]}" --arg notes "$notes" \
		'$ARGS.named' >>"$rows"
}

# findings JSON ROOT CASE: the findings of the vigil scan that wrote JSON (its state folder still
# $work/state), sorted, one [name, path under ROOT, members] a line, into f-CASE-N.jsonl
findings() {
	local json=$1 root=$2 name=$3 n
	n=$(ls f-"$name"-*.jsonl 2>/dev/null | wc -l)
	if [ "$(jq '(.threats | length) == .threats_found' "$json" 2>/dev/null)" != true ]; then
		# the scan's own list is cut short (or missing): ask the store
		VIGIL_STATE_DIR=$work/state "$V" --json threat list --scan "$(jq .scan_id "$json" 2>/dev/null || echo 0)" \
			>"$json.list" 2>/dev/null || true
		json=$json.list
	fi
	jq -c --arg r "$root/" '.threats[] | [.name, (.path | ltrimstr($r)), .member]' "$json" >f.tmp 2>/dev/null ||
		fail vigil "no findings from vigil ($json)"
	LC_ALL=C sort f.tmp >"f-$name-$n.jsonl"
}
# keep_findings CASE: every run found the same (else a failure); the list to $fdir/CASE.jsonl
# and its count and SHA-256 to the notes
keep_findings() {
	local name=$1 f
	for f in f-"$name"-*.jsonl; do
		cmp -s "$f" "f-$name-0.jsonl" || fail vigil "the runs' findings differ ($f)"
	done
	cp "f-$name-0.jsonl" "$fdir/$name.jsonl"
	note "vigil's findings: $(wc -l <"f-$name-0.jsonl") (name, path, members), sha256" \
		"\`$(sha256sum <"f-$name-0.jsonl" | cut -c1-16)\` of the sorted list: bench/findings/targets-$variant/$name.jsonl"
}
# planted CASE: the planted EICAR files of the scan corpus vigil found, against the detectable
# ones (bench/corpus.py's MANIFEST.json); fewer is a failure
planted() {
	local got
	got=$("$PY" "$here/targets.py" planted "$manifest" "f-$1-0.jsonl")
	note "planted EICAR files found: $got"
	[ "${got%/*}" = "${got#*/}" ] || fail vigil "planted EICAR files missed: found $got"
}
vscan() { # OUT TMPL ARGS...: a cold vigil scan (fresh state from TMPL, --no-cache), timed
	local out=$1
	bench_fresh_state "$2"
	shift 2
	timed vigil "$out" env VIGIL_STATE_DIR="$work/state" "$V" --json scan custom "$@" --threads "$CORES" --no-cache
}
yara_note() { note "yara's matches (rule, file): $(wc -l <"$1")"; }

# --- 1, 2: cold scans beside yara ------------------------------------------------------------
cold_vs_yara() { # CASE TMPL
	local name=$1 tmpl=$2 i who yarc
	yarc=$(ls "$work/tmpl-$tmpl"/rules-*.yarc | head -n 1)
	case_begin
	for i in $(seq "$REPS"); do
		for who in $(order "$i"); do
			if [ "$who" = vigil ]; then
				vscan "v-$name.json" "$tmpl" "$corpus"
				findings "v-$name.json" "$corpus" "$name"
			else
				timed anchor "y-$name.txt" yara -w -r -p "$CORES" "${yext[@]}" -C "$yarc" "$corpus"
			fi
		done
	done
}
echo "1. cold scan, embedded rules"
cold_vs_yara cold-default default
keep_findings cold-default
planted cold-default
yara_note y-cold-default.txt
row 1 "cold scan, small rule set (vigil's embedded rules, sigdb/default_rules.yar), corpus (a)" \
	"\`vigil scan custom (a) --threads 2 --no-cache\`, fresh state" "\`yara -r -p 2\`, the same compiled rules (\`-C\`)" s le 1.0

if [ -f "$large" ]; then
	echo "2. cold scan, signature-base"
	cold_vs_yara cold-large large
	# 4: one more cold scan, its extractors' RSS sampled (deep.sh's way: every 0.2 s, the sum of
	# all vigil-extract at one time); not timed, the sampler costs CPU
	echo "4. peak RSS: one more cold scan, the extractors sampled"
	bench_sample_start vx.rss
	vscan v-cold-large.json large "$corpus"
	bench_sample_stop
	W[vigil]=${W[vigil]% *} # the sampled run's wall is not one of row 2's
	findings v-cold-large.json "$corpus" cold-large
	read -r vx_one vx_sum <vx.rss
	keep_findings cold-large
	planted cold-large
	yara_note y-cold-large.txt
	row 2 "cold scan, signature-base (../shared/yara/large.yar, 5,234 rules, imported with \`vigil sigdb import\`), corpus (a)" \
		"\`vigil scan custom (a) --threads 2 --no-cache\`, fresh state" \
		"\`yara -C -r -p 2\` on vigil's compiled rules-*.yarc, externals \`-d\` empty" s le 1.0
	notes=""
	note "vigil: largest single process (/usr/bin/time %M: vigil itself or one child, over the 4 cold scans)" \
		"$((R[vigil] / 1024)) MiB + the extractors (vigil-extract, the most at one time, sampled every 0.2 s in the 4th" \
		"scan) $((vx_sum / 1024)) MiB (the largest one: $((vx_one / 1024)) MiB); yara: %M over its 3 runs."
	row 4 "peak RSS with signature-base loaded, cold scan of (a)" "vigil + its extractors" "yara" MiB lt_abs 200 \
		"$(((R[vigil] + vx_sum) / 1024))" "$((R[anchor] / 1024))"

	# --- 3: warm rescan beside the stat walk ----------------------------------------------------
	echo "3. warm rescan, signature-base"
	bench_fresh_state large
	VIGIL_STATE_DIR=$work/state "${pin[@]}" "$V" -q scan custom "$corpus" --threads "$CORES" >/dev/null 2>&1 || true
	case_begin
	for i in $(seq "$REPS"); do
		for who in $(order "$i"); do
			if [ "$who" = vigil ]; then
				timed vigil v-warm.json env VIGIL_STATE_DIR="$work/state" "$V" --json scan custom "$corpus" --threads "$CORES"
				findings v-warm.json "$corpus" warm
			else
				timed anchor /dev/null find "$corpus" -printf '%p %s %T@ %i\n'
			fi
		done
	done
	keep_findings warm
	missing=$(LC_ALL=C comm -23 f-cold-large-0.jsonl f-warm-0.jsonl | wc -l)
	note "findings of the cold scan (row 2) missing from the warm one: $missing"
	[ "$missing" = 0 ] || fail vigil "the warm scan misses $missing findings of the cold one"
	note "vigil's counters (last run): $(jq -r '"files \(.files_scanned), from the cache \(.files_cached), objects scanned \(.objects_scanned)"' v-warm.json)"
	row 3 "warm rescan (scan cache: the same state folder scanned again, without --no-cache), signature-base, corpus (a)" \
		"\`vigil scan custom (a) --threads 2\`, a second scan" "\`find (a) -printf '%p %s %T@ %i\\n' >/dev/null\`" s le 3
else
	for k in 2 3 4; do
		case_begin
		S[vigil]="not measured: no ../shared/yara/large.yar" S[anchor]=${S[vigil]}
		row "$k" "signature-base (rows 2-4)" "-" "-" s le 1.0
	done
fi

# --- 5, 6: quarantine add and restore beside a durable copy ---------------------------------------
echo "5, 6. quarantine add and restore, one $QMIB MiB file"
q_add() { # one add from a fresh state; its item's id in qid
	bench_fresh_state q
	cp q/master.bin q/src.bin
	sync
	timed vigil q-add.json "$V" --json quarantine add q/src.bin
	qid=$(jq '.items[0].id' q-add.json 2>/dev/null || echo null)
	[ "$qid" != null ] && [ ! -e q/src.bin ] || fail vigil "quarantine add left no item or kept the file"
}
q_restore() {
	rm -f q/dest.bin
	sync
	timed rvigil q-restore.json "$V" --json quarantine restore "$qid" --path "$work/q/dest.bin"
	[ "$(sha256sum <q/dest.bin | cut -d' ' -f1)" = "$qsha" ] || fail rvigil "the restored file differs"
	rm -f q/dest.bin
}
q_dd() { # SIDE: anchor (beside add) or ranchor (beside restore)
	rm -f q/copy.bin
	sync
	timed "$1" q-dd.txt dd if=q/master.bin of=q/copy.bin bs=1M conv=fsync status=none
	rm -f q/copy.bin
}
export VIGIL_STATE_DIR=$work/state
case_begin
accept=0
for i in $(seq "$REPS"); do
	for who in $(order "$i"); do
		if [ "$who" = vigil ]; then q_add; else q_dd anchor; fi
	done
	for who in $(order "$i"); do
		if [ "$who" = vigil ]; then q_restore; else q_dd ranchor; fi
	done
done
unset VIGIL_STATE_DIR
note "vigil's peak RSS $((R[vigil] / 1024)) MiB; dd writes to the same file system as the vault (\`sync\` before each run)"
row 5 "quarantine add, one $QMIB MiB random file" "\`vigil quarantine add F\`" "\`dd if=F of=G bs=1M conv=fsync\`" s le 2
W[vigil]=${W[rvigil]} W[anchor]=${W[ranchor]} R[vigil]=${R[rvigil]} S[vigil]=${S[rvigil]} S[anchor]=${S[ranchor]}
notes=""
note "vigil's peak RSS $((R[vigil] / 1024)) MiB; the restored file's SHA-256 checked after each run (untimed)"
row 6 "quarantine restore, the same file" "\`vigil quarantine restore ID --path DEST\`" "the same dd copy" s le 2

# --- 7: one small file with a million hashes loaded ----------------------------------------------
echo "7. one small file, $HASHES SHA-256 imported"
case_begin
for i in $(seq "$REPS"); do
	for who in $(order "$i"); do
		if [ "$who" = vigil ]; then
			vscan v-ioc.json ioc "$work/ioc/sample.txt"
			findings v-ioc.json "$work/ioc" ioc
		else
			bench_fresh_state default
			timed anchor a-ioc.json env VIGIL_STATE_DIR="$work/state" "$V" --json scan custom "$work/ioc/sample.txt" \
				--threads "$CORES" --no-cache
		fi
	done
done
keep_findings ioc
[ "$(jq -r '.[1]' f-ioc-0.jsonl)" = sample.txt ] || fail vigil "the listed file's hash was not found"
note "the file's own SHA-256 is one of the $HASHES (in the middle of the list); vigil's peak RSS $((R[vigil] / 1024)) MiB," \
	"without the list $((R[anchor] / 1024)) MiB"
row 7 "scan of one small file with $HASHES SHA-256 hashes imported (an IOC list, one a line, \`vigil sigdb import\`)" \
	"\`vigil scan custom FILE --no-cache\`, fresh state" "the same with no hash list imported" s le 2

# --- 8: deep containers beside clamd -------------------------------------------------------------
deep_vs_clamd() { # CASE TREE
	local name=$1 tree=$2 i who skip=
	case_begin
	for i in $(seq "$REPS"); do
		for who in $(order "$i"); do
			if [ "$who" = vigil ]; then
				vscan "v-$name.json" default "$tree"
				findings "v-$name.json" "$tree" "$name"
			elif [ -z "$skip" ]; then
				bench_clamd_start default || { fail anchor "clamd did not start"; skip=1; continue; }
				timed anchor "c-$name.txt" timeout "$CAP" clamdscan --config-file="$work/clamd-default.conf" --multiscan -i "$tree"
				bench_clamd_stop
				[ "${S[anchor]}" = ok ] || skip=1
			fi
		done
	done
	keep_findings "$name"
	note "clamdscan's findings (FOUND lines): $(grep -c ' FOUND$' "c-$name.txt" 2>/dev/null || true)"
}
if [ -n "$has_clam" ]; then
	echo "8a. deep containers, corpus (a)"
	deep_vs_clamd deep-a "$corpus"
	planted deep-a
	row 8a "deep containers on, embedded rules: corpus (a)" "\`vigil scan custom (a) --threads 2 --no-cache\`, fresh state" \
		"\`clamdscan --multiscan\`, first scan of a fresh clamd" s faster 10
	echo "8b. deep containers, the deep corpus (b)"
	deep_vs_clamd deep-b "$dtree"
	row 8b "deep containers on, embedded rules: the deep corpus (b) of bench/deep.sh" \
		"\`vigil scan custom (b) --threads 2 --no-cache\`, fresh state" "\`clamdscan --multiscan\`, first scan of a fresh clamd" s faster 10
else
	for k in 8a 8b; do
		case_begin
		S[vigil]="not measured: ClamAV (clamd, clamdscan, the clamav user) is not installed" S[anchor]=${S[vigil]}
		row "$k" "deep containers on (corpus ($k))" "-" "-" s faster 10
	done
fi

# --- the table -----------------------------------------------------------------------------------
load1=$(cut -d' ' -f1-3 /proc/loadavg)
ver() { "$@" 2>/dev/null | head -n 1 || true; }
hello=$(VIGIL_STATE_DIR=$work/tmpl-default "$V" --json health 2>/dev/null |
	jq -r '.deep_containers | "libclamav \(.libclamav // "?"), sandbox: \(.sandbox // "?")"' || echo "?")
head=$(
	echo "## $variant corpora"
	echo
	echo "$(bench_machine); runs pinned to $CORES cores, $REPS runs of each side taken in turn (median; peak RSS:" \
		"the largest), page cache warm; load average $load0 before, $load1 after (other work on the machine" \
		"shows up as noise)."
	echo
	echo "(a) \`bench/corpus.py --seed $SEED$([ "$variant" = small ] && echo ' --small')\`: $(jq .file_count "$manifest") files," \
		"$(($(jq .total_bytes "$manifest") / 1048576)) MiB, content sha256 \`$(jq -r .content_sha256 "$manifest" | cut -c1-16)\`;" \
		"(b) the deep corpus of bench/deep.sh (seed $SEED): $dfiles files, $((dbytes / 1048576)) MiB (PE, OLE2, mail, PDF)."
	echo
	echo "Tools: $(ver "$V" --version); vigil-extract: $hello; yara $(ver yara --version); $(ver clamdscan --version)."
)
BENCH_DIR=$here "$PY" "$here/targets.py" render "$rows" "$here/RESULTS.md" "$variant" "$head"
echo "written to bench/RESULTS.md; findings in bench/findings/targets-$variant/"
exit "$failed"
