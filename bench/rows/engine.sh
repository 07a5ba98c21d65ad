# Engine rows (issue 3), sourced by bench/run.sh: per-command overhead of
# sh() in one persistent recorded session against expect driving an
# interactive bash over a pty and against a new pty per command (script),
# and recorded output throughput against script, ttyrec and asciinema rec.
#
#   bench/run.sh bench/rows/engine.sh
#   ENGINE_N=1000 bench/run.sh bench/rows/engine.sh
#
# Every session starts with an empty HOME, so no one's login files weigh
# on either side. ttyrec and asciinema record only on a terminal: they run
# under script(1), as a user at a terminal would run them. runbook's
# recording is removed before each run (runbook refuses to overwrite one).

engine_bench_main() {
	local need
	for need in expect script ttyrec asciinema; do
		command -v "$need" >/dev/null || { echo "bench engine: $need is missing" >&2; return 1; }
	done
	local n=${ENGINE_N:-300}
	local eb="$OUT/engine"
	mkdir -p "$eb/home"
	cat >"$eb/loop.exp" <<'EXP'
# expect driving an interactive bash over a pty: N times CMD, waiting for
# the prompt after each, as a person's session does.
set n [lindex $argv 0]
set cmd [lindex $argv 1]
log_user 0
set timeout 60
spawn env PS1=RBPROMPT\$\  bash --norc --noprofile -i
expect "RBPROMPT\$ "
for {set i 0} {$i < $n} {incr i} {
    send "$cmd\r"
    expect "RBPROMPT\$ "
}
send "exit\r"
expect eof
EXP
	# The same, with the prompt marks runbook's session prints around each
	# command (PS0, PS1 and PROMPT_COMMAND, as engine/shell's startup file
	# sets them): what bash alone spends on them, apart from runbook.
	cat >"$eb/marks.rc" <<'RC'
PS1=$'\[\e]133;A;0123456789abcdef\a\]RBPROMPT$ \[\e]133;P;0123456789abcdef\a\]'
PS2=$'\[\e]133;B;0123456789abcdef\a\]> '
PS0=$'\e]133;C;0123456789abcdef\a'
PROMPT_COMMAND='printf '"'"'\033]133;D;%s;0123456789abcdef\007'"'"' "$?"'
RC
	sed -e 's/spawn env PS1=RBPROMPT\\$\\  bash --norc --noprofile -i/spawn bash --rcfile [lindex $argv 2] --noprofile -i/' "$eb/loop.exp" >"$eb/marks.exp"
	cat >"$eb/loop.lua" <<'LUA'
local n, cmd = tonumber(os.getenv("N")), os.getenv("CMD")
step("loop", function() for i = 1, n do sh(cmd) end end)
LUA
	cat >"$eb/cat.lua" <<'LUA'
step("cat", function() sh("cat " .. os.getenv("FILE")) end)
LUA
	local cmd
	for cmd in true /bin/true; do
		row "sh(\"$cmd\") x$n, recorded" 0 \
			"rm -f $eb/loop.ttyrec*; HOME=$eb/home N=$n CMD=$cmd $RUNBOOK $eb/loop.lua --quiet --record $eb/loop.ttyrec" \
			"expect+bash loop" "HOME=$eb/home expect $eb/loop.exp $n $cmd" \
			"expect+bash+marks" "HOME=$eb/home expect $eb/marks.exp $n $cmd $eb/marks.rc" \
			"script per command" "for i in \$(seq $n); do script -q -c $cmd /dev/null; done >/dev/null"
	done

	local big="$eb/big.txt"
	[ -s "$big" ] || { base64 -w 100 /dev/urandom 2>/dev/null | head -c 200000000 >"$big" || true; }
	local size
	size=$(stat -c %s "$big")
	row "sh(\"cat 200MB\"), recorded" "$size" \
		"rm -f $eb/cat.ttyrec*; HOME=$eb/home FILE=$big $RUNBOOK $eb/cat.lua --quiet --record $eb/cat.ttyrec" \
		"script -c cat" "script -q -c 'cat $big' /dev/null >/dev/null" \
		"ttyrec -e cat" "script -qec \"ttyrec -e 'cat $big' $eb/peer.ttyrec\" /dev/null >/dev/null" \
		"asciinema rec -c cat" "script -qec \"asciinema rec -q --overwrite -c 'cat $big' $eb/peer.cast\" /dev/null >/dev/null"
}

engine_bench_main
