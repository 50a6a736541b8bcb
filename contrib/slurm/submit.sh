#!/bin/bash
# contrib/slurm/submit.sh LIST [DB_URL] — submits vigil-scan-images.sbatch as an array job
# with one task per line of LIST (a file of disk-image paths, one a line), and prints
# sbatch's answer ("Submitted batch job N").
#
#   LIST     the images; read again by every task on its node, so it (and the images) must
#            be on a file system all nodes see, at the same path
#   DB_URL   optional: a fleet database URL, pushed to by each task (as VIGIL_FLEET_DB;
#            prefer leaving it out and exporting VIGIL_FLEET_DB, or a URL without a
#            password and a ~/.pgpass, so the password is not on a command line)
#
# Environment (all optional; the job receives the whole environment, --export=ALL):
#   VIGIL_OUT           output folder for the results and the tasks' logs (default: here)
#   VIGIL_MAX_PARALLEL  at most this many tasks at once (sbatch --array=1-N%M)
#   VIGIL, VIGIL_LOCAL_DIR, VIGIL_KEEP_STATE, VIGIL_RULES, VIGIL_THREADS: see the .sbatch
#   SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_WAIT, ...: sbatch reads its own variables
#   SBATCH_EXTRA        more sbatch options, split on blanks (e.g. "--cpus-per-task=4")
set -euo pipefail
me=submit.sh
die() { echo "$me: $*" >&2; exit 2; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: submit.sh LIST [DB_URL]"
list=$1
[ -f "$list" ] && [ -r "$list" ] || die "cannot read the list '$list'"
list=$(readlink -f -- "$list")
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
script=$here/vigil-scan-images.sbatch
[ -r "$script" ] || die "'$script' is missing"

# lines, counting a last one without its newline
n=$(grep -c '' -- "$list") || true
[ "$n" -gt 0 ] || die "the list '$list' is empty"
max=$(scontrol show config 2>/dev/null | sed -n 's/^MaxArraySize *= *\([0-9]*\).*/\1/p')
if [ -n "$max" ] && [ "$n" -ge "$max" ]; then
	die "the list has $n lines; this cluster's MaxArraySize ($max) allows arrays up to $((max - 1)): split the list (split -l $((max - 1)))"
fi

export VIGIL_OUT=${VIGIL_OUT:-$PWD}
mkdir -p -- "$VIGIL_OUT"
VIGIL_OUT=$(cd -- "$VIGIL_OUT" && pwd)
[ $# -lt 2 ] || export VIGIL_FLEET_DB=$2

array=1-$n${VIGIL_MAX_PARALLEL:+%$VIGIL_MAX_PARALLEL}
# shellcheck disable=SC2086 # SBATCH_EXTRA is a list of options
exec sbatch --array="$array" --output="$VIGIL_OUT/vigil-%A_%a.out" --export=ALL ${SBATCH_EXTRA:-} \
	-- "$script" "$list"
