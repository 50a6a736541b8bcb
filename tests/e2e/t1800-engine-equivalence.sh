#!/usr/bin/env bash
# Issue 16: the engine's optimisations change no finding. The same files are scanned with the
# engine as it runs and with the reference engine (VIGIL_ENGINE_REFERENCE=1: libyara as the
# yara command line runs it), and the full findings (rule, namespace, path, member chain) must
# be identical. The files are made to match many of signature-base's rules (helpers/sigcorpus.py),
# so that conditions counting and locating matches are exercised.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
T=$(pwd -P)
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }

test_expect_success 'a 300 MB file is scanned in bounded memory (the pages of a mapping are dropped as it is read)' '
	mkdir -p big && truncate -s 300M big/sparse.img && echo "marker at the end" >>big/sparse.img &&
	/usr/bin/time -f %M -o big.rss "$VIGIL" -q scan custom big --no-cache --threads 1 &&
	echo "peak RSS $(cat big.rss) KB" &&
	test "$(cat big.rss)" -lt 160000
'

large=$repo/../shared/yara/large.yar
extvars=$repo/../shared/yara/ext-vars.yar
if ! [ -f "$large" ] || ! [ -f "$extvars" ]; then
	test_skip 'engine equivalence with signature-base' "$repo/../shared/yara/ not present"
	test_done
fi

findings() { jq -r '.threats[] | [.namespace, .name, .path, (.member | join(">"))] | @tsv' "$1" | LC_ALL=C sort; }

test_expect_success 'signature-base imports; a corpus matching its rules is made' '
	vigil sigdb import "$large" >/dev/null &&
	vigil sigdb import "$extvars" >/dev/null &&
	cat "$large" "$extvars" >both.yar &&
	python3 "$here/helpers/sigcorpus.py" both.yar eq --files 300 --zips 20 --seed 16 &&
	test "$(ls eq | wc -l)" -eq 320
'

test_expect_success 'the same findings with and without the optimisations (hundreds of rules matched)' '
	expect_exit 1 vigil --json scan custom eq --no-cache >fast.json &&
	expect_exit 1 env VIGIL_ENGINE_REFERENCE=1 "$VIGIL" --json scan custom eq --no-cache >ref.json &&
	findings fast.json >fast.tsv && findings ref.json >ref.tsv &&
	cut -f2 ref.tsv | sort -u >rules.txt &&
	echo "$(wc -l <ref.tsv) findings, $(wc -l <rules.txt) rules" &&
	test "$(wc -l <rules.txt)" -ge 500 &&
	awk -F"\t" "\$4 != \"\"" ref.tsv | grep -q . &&
	diff ref.tsv fast.tsv &&
	jq -e ".errors == 0" fast.json && jq -e ".errors == 0" ref.json
'

# An access log: strings of the rules match on every line, and libyara without fast mode keeps
# every match (up to a million a string).
python3 - <<'PY'
import random
r = random.Random(7)
with open("access.log", "w") as f:
    while f.tell() < 4000000:
        f.write('10.%d.%d.%d - - [14/Nov/2023:%02d:%02d:%02d +0000] "%s /%s/%s HTTP/1.1" %d %d "-" "%s"\n' % (
            r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(24), r.randrange(60),
            r.randrange(60), r.choice(("GET", "POST", "HEAD")), r.choice(("queue", "archive", "api")),
            r.choice(("autumn", "spring", "policy")), r.choice((200, 304, 404)), r.randrange(99999),
            r.choice(("curl/7.88.1", "python-requests/2.28", "Mozilla/5.0"))))
PY
mkdir -p log && mv access.log log/

test_expect_success 'fast mode: a 4 MB log does not make libyara keep every match (memory bound)' '
	/usr/bin/time -f %M -o fast.rss "$VIGIL" -q scan custom log --no-cache --threads 1 &&
	/usr/bin/time -f %M -o ref.rss env VIGIL_ENGINE_REFERENCE=1 "$VIGIL" -q scan custom log --no-cache --threads 1 &&
	echo "peak RSS: $(cat fast.rss) KB, reference engine $(cat ref.rss) KB" &&
	test "$(cat fast.rss)" -lt "$(( $(cat ref.rss) - 10000 ))"
'

test_done
