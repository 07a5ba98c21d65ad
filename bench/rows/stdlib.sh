# stdlib rows (issue 6), sourced by bench/run.sh: 200 file.line edits on
# one host over SSH against Ansible's lineinfile doing the same 200 edits
# with pipelining, both against the same real sshd on 127.0.0.1 in the same
# run (engine/enginetest/bench_test.go, BenchmarkFileLine200), then the same again when
# nothing is left to change. Times are per edit, connection and start-up
# included on both sides; ratio is Ansible's time ÷ ours.
#
#   bench/run.sh bench/rows/stdlib.sh
#   (or directly: go test -run '^$' -bench FileLine200 -benchtime 1x -timeout 60m ./engine/enginetest)

stdlib_bench_main() {
	command -v ansible-playbook >/dev/null || { echo "bench stdlib: ansible-playbook is missing (apt-get install ansible)" >&2; return 1; }
	local out
	out=$(go test -run '^$' -bench 'FileLine200$' -benchtime 1x -timeout 60m ./engine/enginetest) || { echo "$out" >&2; return 1; }
	# BenchmarkFileLine200  1  NNN ns/op  A ms/edit  B ms/unchanged-edit  C ansible-ms/edit ...
	echo "$out" | awk -v fmt='%-34s %12s   %-22s %12s %9s\n' '
		/^BenchmarkFileLine200/ {
			for (i = 3; i < NF; i += 2) v[$(i+1)] = $i
			printf fmt, "file.line x200 over SSH", sprintf("%.2f ms", v["ms/edit"]), "ansible lineinfile", sprintf("%.1f ms", v["ansible-ms/edit"]), sprintf("%.1fx", v["x-faster"])
			printf fmt, "  same, nothing to change", sprintf("%.2f ms", v["ms/unchanged-edit"]), "ansible lineinfile", sprintf("%.1f ms", v["ansible-ms/unchanged-edit"]), sprintf("%.1fx", v["x-faster-unchanged"])
		}' | tee -a "$RESULTS"
}

stdlib_bench_main
