#!/usr/bin/env bash
# Runs runbook and the peer tools side by side on the same generated inputs
# and prints a table of medians and ratios (peer ÷ ours: above 1 means
# runbook is faster). See bench/README.md.
#
#   bench/run.sh                 # every rows file in bench/rows/
#   bench/run.sh bench/rows/recording.sh
#   RUNS=10 bench/run.sh         # more runs per command (default 5)
#   RUNBOOK=/path/to/runbook bench/run.sh   # measure a given binary
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

OUT=bench/out
mkdir -p "$OUT"
RUNS=${RUNS:-5}
RESULTS="$OUT/results.txt"

for tool in hyperfine /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install hyperfine time)" >&2; exit 1; }
done

if [ -z "${RUNBOOK:-}" ]; then
	RUNBOOK="$OUT/runbook"
	go build -o "$RUNBOOK" ./cmd/runbook
fi
RUNBOOK=$(realpath "$RUNBOOK")
export RUNBOOK OUT

# input NAME SIZE: a generated ttyrec of SIZE payload bytes at $OUT/NAME,
# made once and kept (bench/out is git-ignored).
input() {
	local name=$1 size=$2
	if [ ! -s "$OUT/$name" ]; then
		echo "==> generating $OUT/$name ($size)" >&2
		go run ./bench/gen -size "$size" -o "$OUT/$name"
	fi
}

printf '%-34s %12s   %-16s %12s %8s   %10s\n' "row" "runbook" "peer" "peer" "ratio" "cpu ratio" | tee "$RESULTS"

# row NAME BYTES OURS PEER-NAME PEER-CMD [PEER-NAME PEER-CMD]...
# Times OURS and each peer command on the same input, alternating them run
# by run (RUNS rounds, after one warm-up round) so that whatever else the
# machine does weighs on both alike, and prints per peer: the medians of
# wall time, our throughput over BYTES, and two ratios, peer ÷ ours, of
# the median wall time and of the median CPU time (user + system).
row() {
	local name=$1 bytes=$2
	shift 2
	local names=(ours) cmds=("$1")
	shift
	while [ $# -ge 2 ]; do
		names+=("$1")
		cmds+=("$2")
		shift 2
	done
	local n=${#cmds[@]} i k
	: > "$OUT/row.times"
	for ((k = 0; k < n; k++)); do bash -c "${cmds[$k]}" >/dev/null 2>&1 || true; done
	for ((i = 0; i < RUNS; i++)); do
		for ((k = 0; k < n; k++)); do
			hyperfine --runs 1 --style none --export-csv "$OUT/one.csv" "${cmds[$k]}" >/dev/null 2>&1
			awk -F, -v k="$k" 'NR==2{print k, $2, $5+$6}' "$OUT/one.csv" >> "$OUT/row.times"
		done
	done
	median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
	local o oc p pc mbs
	o=$(awk '$1==0{print $2}' "$OUT/row.times" | median)
	oc=$(awk '$1==0{print $3}' "$OUT/row.times" | median)
	mbs=$(awk -v b="$bytes" -v t="$o" 'BEGIN{ if (b>0) printf "%.0f MB/s", b/t/1e6; else printf "-" }')
	for ((k = 1; k < n; k++)); do
		p=$(awk -v k="$k" '$1==k{print $2}' "$OUT/row.times" | median)
		pc=$(awk -v k="$k" '$1==k{print $3}' "$OUT/row.times" | median)
		awk -v name="$name" -v o="$o" -v p="$p" -v oc="$oc" -v pc="$pc" -v pn="${names[$k]}" -v mbs="$mbs" \
			'BEGIN{ printf "%-34s %9.1f ms   %-16s %9.1f ms %7.2fx   cpu %6.2fx   (runbook %s)\n", name, o*1000, pn, p*1000, p/o, (oc>0 ? pc/oc : 0), mbs }' | tee -a "$RESULTS"
	done
}

# rss NAME CMD-SMALL CMD-BIG: peak resident memory of the same command on
# a small and a big input (constant memory: the two are about equal).
rss() {
	local name=$1 small=$2 big=$3
	/usr/bin/time -f '%M' -o "$OUT/rss.small" bash -c "$small" >/dev/null 2>&1
	/usr/bin/time -f '%M' -o "$OUT/rss.big" bash -c "$big" >/dev/null 2>&1
	awk -v name="$name" -v a="$(tail -1 "$OUT/rss.small")" -v b="$(tail -1 "$OUT/rss.big")" \
		'BEGIN{ printf "%-34s peak RSS %6.1f MB (small) %6.1f MB (big)   big/small %.2f\n", name, a/1024, b/1024, b/a }' | tee -a "$RESULTS"
}

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	files=(bench/rows/*.sh)
fi
for f in "${files[@]}"; do
	echo "==> $f" >&2
	# shellcheck source=/dev/null
	. "$f"
done
echo "(results also in $RESULTS)" >&2
