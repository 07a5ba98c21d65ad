# SSH rows (issue 4), sourced by bench/run.sh: per-command overhead over one
# connection against the usual ways of running commands on a host, and the
# 50-host scale run. Every peer talks to the same real sshd on 127.0.0.1,
# started here in its own mount and PID namespace (as engine/ssh/sshtest
# does), with a fresh tmpfs as root's home (this machine's ~/.bashrc is not
# the host's), and stopped at the end.
#
# Per-command figures are (time of 101 commands - time of 1) / 100, so the
# fixed costs (connecting, starting bash, loading Ansible) cancel out.
#
#   bench/run.sh bench/rows/ssh.sh
#   SSH_SCALE_HOSTS=10 bench/run.sh bench/rows/ssh.sh   # a smaller scale run
#   SSH_BENCH=scale bench/run.sh bench/rows/ssh.sh      # the scale run alone

ssh_bench_main() {
	local need
	for need in /usr/sbin/sshd ssh ssh-keygen expect unshare python3; do
		command -v "$need" >/dev/null || { echo "bench ssh: $need is missing" >&2; return 1; }
	done
	[ "$(id -u)" -eq 0 ] || { echo "bench ssh: needs root (sshd in its own namespace)" >&2; return 1; }

	SSHB=$(mktemp -d /tmp/runbook-bench-ssh.XXXXXX)
	chmod 755 "$SSHB"
	: >"$SSHB/pids"
	trap ssh_bench_stop EXIT
	ssh-keygen -q -t ed25519 -N '' -f "$SSHB/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHB/id"
	cp "$SSHB/id.pub" "$SSHB/authorized_keys"

	local port
	port=$(ssh_bench_sshd)
	ssh_bench_host bench "$port" ""
	ssh_bench_host bench-cm "$port" "  ControlMaster auto
  ControlPath $SSHB/cm-%C
  ControlPersist 120"

	# The runbooks: N times sh("true") in one step.
	local n
	for n in 1 101; do
		printf 'runbook { name = "ssh%d" }\nstep("true %d times", function()\n  for i = 1, %d do sh("true") end\nend)\n' \
			"$n" "$n" "$n" >"$SSHB/true$n.lua"
		# ssh loop, no sharing
		printf 'for i in $(seq %d); do ssh -F %s bench true || exit 1; done\n' "$n" "$SSHB/ssh_config" >"$SSHB/ssh$n.sh"
		printf 'for i in $(seq %d); do ssh -F %s bench-cm true || exit 1; done\n' "$n" "$SSHB/ssh_config" >"$SSHB/cm$n.sh"
		# expect typing into one ssh -tt session, waiting for the prompt each time
		cat >"$SSHB/expect$n.exp" <<-EOF
			set timeout 30
			log_user 0
			spawn ssh -tt -F $SSHB/ssh_config bench env PS1=RBPROMPT: bash --norc --noprofile -i
			expect "RBPROMPT:"
			for {set i 0} {\$i < $n} {incr i} {
			  send "true\\r"
			  expect "RBPROMPT:"
			}
			send "exit\\r"
			expect eof
		EOF
		# Ansible: n command tasks, pipelining on
		{
			printf -- '- hosts: bench\n  gather_facts: false\n  tasks:\n'
			for i in $(seq "$n"); do printf -- '    - command: "true"\n'; done
		} >"$SSHB/play$n.yml"
	done
	printf '[bench]\nbench ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s\n' \
		"$port" "$SSHB/id" >"$SSHB/inventory"
	cat >"$SSHB/ansible.cfg" <<-EOF
		[defaults]
		host_key_checking = False
		interpreter_python = /usr/bin/python3
		stdout_callback = null
		[ssh_connection]
		pipelining = True
		ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$SSHB/known_hosts
	EOF
	if [ "${SSH_BENCH:-}" = scale ]; then
		ssh_bench_scale
		return
	fi
	ssh -F "$SSHB/ssh_config" bench-cm true # warm the master

	local ours="$RUNBOOK --ssh-config $SSHB/ssh_config --host bench --quiet --record $SSHB/r.ttyrec"
	local cmds=(
		"ours|$ours $SSHB/true1.lua|$ours $SSHB/true101.lua"
		"ssh per command|bash $SSHB/ssh1.sh|bash $SSHB/ssh101.sh"
		"ssh ControlMaster|bash $SSHB/cm1.sh|bash $SSHB/cm101.sh"
		"expect + ssh -tt|expect $SSHB/expect1.exp|expect $SSHB/expect101.exp"
	)
	if command -v ansible-playbook >/dev/null; then
		cmds+=("ansible pipelining|ANSIBLE_CONFIG=$SSHB/ansible.cfg ansible-playbook -i $SSHB/inventory $SSHB/play1.yml|ANSIBLE_CONFIG=$SSHB/ansible.cfg ansible-playbook -i $SSHB/inventory $SSHB/play101.yml")
	else
		echo "bench ssh: ansible-playbook missing (apt-get install ansible): row skipped" >&2
	fi
	local args=(--style none --warmup 1 --runs "$RUNS" --export-csv "$SSHB/ssh.csv")
	local c name one many
	for c in "${cmds[@]}"; do
		IFS='|' read -r name one many <<<"$c"
		args+=(-n "$name/1" "$one" -n "$name/101" "$many")
	done
	hyperfine "${args[@]}" >/dev/null
	# per command = (median of 101 - median of 1) / 100, in ms
	python3 - "$SSHB/ssh.csv" <<-'EOF' | tee -a "$RESULTS"
		import csv, sys
		med = {r["command"]: float(r["median"]) for r in csv.DictReader(open(sys.argv[1]))}
		per = {}
		for k in med:
		    name = k.rsplit("/", 1)[0]
		    per[name] = (med[name + "/101"] - med[name + "/1"]) / 100 * 1000
		o = per["ours"]
		print("%-34s %9.3f ms   %-22s %12s %9s" % ("ssh: 100 sh(true), per command", o, "(whole run: %.0f ms)" % (med["ours/101"] * 1000), "", ""))
		for name, p in per.items():
		    if name == "ours":
		        continue
		    print("%-34s %9.3f ms   %-22s %9.3f ms %8.2fx   (whole 101: %.0f ms vs %.0f ms)" % (
		        "ssh: per command", o, name, p, p / o, med["ours/101"] * 1000, med[name + "/101"] * 1000))
	EOF

	ssh_bench_scale
}

# ssh_bench_scale: a runbook whose commands wait on the host (as apt does),
# on one host, then on SSH_SCALE_HOSTS hosts (default 50) at once.
ssh_bench_scale() {
	local hosts=${SSH_SCALE_HOSTS:-50} i port list=""
	for i in $(seq "$hosts"); do
		port=$(ssh_bench_sshd)
		ssh_bench_host "s$i" "$port" ""
		list="$list${list:+,}s$i"
	done
	cat >"$SSHB/wait.lua" <<-'EOF'
		runbook { name = "wait" }
		step("Update", function() sh("sleep 2; echo updated") end)
		step("Install", function() for i = 1, 5 do sh("sleep 0.4; echo package " .. i) end end)
		step("Configure", function() sh("sleep 1; echo configured") end)
	EOF
	local one many
	rm -rf "$SSHB/rec1" "$SSHB/recN"
	mkdir -p "$SSHB/rec1" "$SSHB/recN"
	/usr/bin/time -o "$SSHB/time1" -f '%e %M' "$RUNBOOK" "$SSHB/wait.lua" --ssh-config "$SSHB/ssh_config" \
		--host s1 --quiet --record "$SSHB/rec1/w.ttyrec" >/dev/null 2>"$SSHB/scale1.err" || cat "$SSHB/scale1.err" >&2
	/usr/bin/time -o "$SSHB/timeN" -f '%e %M' "$RUNBOOK" "$SSHB/wait.lua" --ssh-config "$SSHB/ssh_config" \
		--host "$list" --forks "$hosts" --quiet --record "$SSHB/recN/w.ttyrec" >"$SSHB/scaleN.out" 2>"$SSHB/scaleN.err" || tail "$SSHB/scaleN.out" >&2
	one=$(tail -1 "$SSHB/time1")
	many=$(tail -1 "$SSHB/timeN")
	# Every recording complete: an index per host with its three steps ok.
	local complete
	complete=$(python3 - "$SSHB/recN" <<-'EOF'
		import glob, json, sys
		n = 0
		for f in glob.glob(sys.argv[1] + "/*.ttyrec.json"):
		    idx = json.load(open(f))
		    st = [s["status"] for s in idx.get("steps", [])]
		    if st == ["ok", "ok", "ok"] and not idx.get("stopped"):
		        n += 1
		print(n)
	EOF
	)
	awk -v h="$hosts" -v one="$one" -v many="$many" -v c="$complete" 'BEGIN{
		split(one, a, " "); split(many, b, " ");
		printf "%-34s %9.2f s    %-22s %9.2f s  %8.2fx   (peak RSS %.1f MB for %d hosts, %.1f MB for 1; %d/%d recordings complete)\n",
			"ssh scale: " h " hosts --forks " h, b[1], "same runbook, 1 host", a[1], b[1]/a[1], b[2]/1024, h, a[2]/1024, c, h }' | tee -a "$RESULTS"
}

# ssh_bench_sshd: starts one sshd on a free port and prints the port.
ssh_bench_sshd() {
	local port cfg i
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cfg="$SSHB/sshd_$port.conf"
	cat >"$cfg" <<-EOF
		ListenAddress 127.0.0.1:$port
		HostKey $SSHB/host_key
		PidFile none
		AuthorizedKeysFile $SSHB/authorized_keys
		StrictModes no
		PermitRootLogin yes
		UsePAM no
		MaxStartups 200
		MaxSessions 200
		LogLevel ERROR
	EOF
	unshare --mount --pid --fork --kill-child --propagation private \
		sh -c "mount -t tmpfs bench-run /run && mkdir -m 755 /run/sshd && mount -t tmpfs -o mode=700 bench-root /root && exec /usr/sbin/sshd -f $cfg -D -E $SSHB/sshd_$port.log" \
		</dev/null >/dev/null 2>&1 &
	echo $! >>"$SSHB/pids"
	for i in $(seq 200); do
		if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null | grep -q SSH-; then
			echo "$port"
			return 0
		fi
		sleep 0.05
	done
	echo "bench ssh: sshd on $port did not start" >&2
	return 1
}

# ssh_bench_host ALIAS PORT EXTRA: an ssh_config entry and its known_hosts line.
ssh_bench_host() {
	printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n%s\n' \
		"$1" "$2" "$SSHB/id" "$SSHB/known_hosts" "$3" >>"$SSHB/ssh_config"
	printf '[127.0.0.1]:%s %s\n' "$2" "$(cut -d' ' -f1,2 "$SSHB/host_key.pub")" >>"$SSHB/known_hosts"
}

ssh_bench_stop() {
	[ -n "${SSHB:-}" ] && [ -d "$SSHB" ] || return 0
	ssh -F "$SSHB/ssh_config" -O exit bench-cm 2>/dev/null || true
	local pid
	while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$SSHB/pids"
	wait 2>/dev/null || true
	rm -rf "$SSHB"
	SSHB=
}

ssh_bench_main
ssh_bench_stop
trap - EXIT
