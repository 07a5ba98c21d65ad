# Hostile recordings (issue 14): what runbook spends on each, measured
# once with /usr/bin/time -v (peak RSS and wall time), and how soon it
# ends on Ctrl-C. Targets: each under 200 MB and 2 s, Ctrl-C within 1 s,
# exit 130, no output file left. No peer: these are limits, not races.
# Sourced by bench/run.sh (bench/run.sh bench/rows/hostile.sh).

for kind in header-1e8 resize-50 resize-200 osc-50mb csi-bomb events-300k; do
	[ -s "$OUT/hostile-$kind.cast" ] || go run ./bench/gen -hostile "$kind" -o "$OUT/hostile-$kind.cast"
done

# limits NAME COMMAND: one run under /usr/bin/time -v.
limits() {
	local name=$1 cmd=$2
	/usr/bin/time -v -o "$OUT/limits.txt" bash -c "$cmd" >/dev/null 2>&1 || true
	awk -v name="$name" -F': ' '
		/Maximum resident set size/ { rss = $2 }
		/Elapsed \(wall clock\)/ { wall = $2 }
		/Exit status/ { code = $2 }
		END { printf "%-34s peak RSS %7.1f MB   wall %s   exit %s\n", name, rss/1024, wall, code }' "$OUT/limits.txt" | tee -a "$RESULTS"
}

# interrupt NAME COMMAND: SIGINT 0.3 s after the start; how long until it
# exits, with which code, and whether it left its --out file.
interrupt() {
	local name=$1 cmd=$2
	rm -f "$OUT/hostile.out"
	bash -c "exec $cmd" >/dev/null 2>&1 &
	local pid=$! t0 t1 code
	sleep 0.3
	t0=$(date +%s.%N)
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" && code=0 || code=$?
	t1=$(date +%s.%N)
	awk -v name="$name" -v t0="$t0" -v t1="$t1" -v code="$code" -v left="$([ -e "$OUT/hostile.out" ] && echo yes || echo no)" \
		'BEGIN { if (code == 0) printf "%-34s finished before the Ctrl-C (exit 0)\n", name
			else printf "%-34s Ctrl-C to exit %5.0f ms   exit %s   output file left: %s\n", name, (t1-t0)*1000, code, left }' | tee -a "$RESULTS"
}

for kind in header-1e8 resize-50 resize-200 osc-50mb csi-bomb; do
	f="$OUT/hostile-$kind.cast"
	limits "render $kind" "$RUNBOOK render $f"
	limits "check $kind" "$RUNBOOK check $f"
	limits "info $kind" "$RUNBOOK info $f"
	limits "play $kind (--speed 1000)" "$RUNBOOK play $f --speed 1000 --idle-limit 0"
	interrupt "render $kind, Ctrl-C" "$RUNBOOK render $f -o $OUT/hostile.out"
done
# 300,000 events 1 ms apart: 0.3 s at --speed 1000 (issue 14: it took
# over 60 s when every event waited for its own timer).
limits "play events-300k --speed 1000" "$RUNBOOK play $OUT/hostile-events-300k.cast --speed 1000 --idle-limit 0"
rm -f "$OUT/hostile.out" "$OUT/limits.txt"
