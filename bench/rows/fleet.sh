# Fleet rows (issue 20), sourced by bench/run.sh: one runbook of 20
# operations of the kinds a guide uses (file.mkdir, file.line x8,
# file.block, file.write, a facts read, apt.installed x3, sh x5) on N hosts
# at once, each host a real sshd of its own on 127.0.0.1 (in its own mount
# and PID namespace, as bench/rows/ssh.sh and engine/ssh/sshtest do, with
# a fresh tmpfs as root's home), run by
#   runbook FILE --hosts HOSTS --forks N
# and by ansible-playbook with the equivalent playbook (pipelining on,
# forks N, Ansible's default ControlPersist), first pass (everything
# changes) and second pass (nothing left to change), in the same run.
# Each host edits files under a directory of its own (the hosts share this
# machine's /tmp). Every runbook recording is checked (`runbook check
# --runbook`, which replays the runbook against it) and every host's files
# are compared with what the runbook leaves (a screens golden is written,
# not compared: there is none for a fresh recording). Peak RSS is the controller's
# (/usr/bin/time %M: for Ansible, its largest single process).
#
# One run per size and pass (a 200-host Ansible run takes minutes);
# ratio is Ansible's time ÷ ours, above 1 means runbook is faster.
#
#   bench/run.sh bench/rows/fleet.sh
#   FLEET_SIZES="10" bench/run.sh bench/rows/fleet.sh    # one small size
#   FLEET_PEERS=0 bench/run.sh bench/rows/fleet.sh       # runbook alone
#   FLEET_PEER_MAX=100 bench/run.sh bench/rows/fleet.sh  # Ansible up to 100 hosts

fleet_bench_main() {
	local need sizes max n
	for need in /usr/sbin/sshd ssh ssh-keygen unshare python3 /usr/bin/time; do
		command -v "$need" >/dev/null || { echo "bench fleet: $need is missing" >&2; return 1; }
	done
	[ "$(id -u)" -eq 0 ] || { echo "bench fleet: needs root (each sshd in its own namespace)" >&2; return 1; }
	FLEET_ANSIBLE=1
	if [ "${FLEET_PEERS:-1}" = 0 ]; then
		FLEET_ANSIBLE=0
	elif ! command -v ansible-playbook >/dev/null; then
		echo "bench fleet: ansible-playbook is missing (apt-get install ansible): runbook alone" >&2
		FLEET_ANSIBLE=0
	fi
	sizes=${FLEET_SIZES:-10 50 100 200}
	max=0
	for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
	ulimit -n 65536 2>/dev/null || true

	FB=$(mktemp -d /tmp/runbook-bench-fleet.XXXXXX)
	chmod 755 "$FB"
	: >"$FB/pids"
	trap fleet_bench_stop EXIT
	ssh-keygen -q -t ed25519 -N '' -f "$FB/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$FB/id"
	cp "$FB/id.pub" "$FB/authorized_keys"
	echo "==> fleet: starting $max sshds" >&2
	local i port
	for i in $(seq "$max"); do
		port=$(fleet_bench_sshd) || return 1
		echo "$port" >>"$FB/ports"
	done
	fleet_bench_files

	for n in $sizes; do
		fleet_bench_size "$n" || return 1
	done
}

# fleet_bench_files writes the runbook and the playbook.
fleet_bench_files() {
	cat >"$FB/fleet.lua" <<-'EOF'
		runbook { name = "fleet", params = { dir = {} } }
		step("Configure the service", function()
		  file.mkdir(params.dir .. "/etc")
		  for i = 1, 8 do
		    file.line(params.dir .. "/etc/app.conf", {regexp = "^KEY" .. i .. "=", line = "KEY" .. i .. "=new"})
		  end
		  file.block(params.dir .. "/etc/hosts.extra", "10.0.0.1 db\n10.0.0.2 cache", {create = true})
		  file.write(params.dir .. "/etc/motd", "managed by runbook\n")
		end)
		step("Check the host", function()
		  local id = facts.os.id
		  for _, p in ipairs({"bash", "coreutils", "openssh-server"}) do
		    assert(apt.installed(p), p .. " is not installed")
		  end
		  sh("echo host is " .. id)
		  sh("test -s " .. params.dir .. "/etc/motd")
		  sh("grep -c KEY " .. params.dir .. "/etc/app.conf")
		  sh("uname -r")
		  sh("true")
		end)
	EOF
	{
		printf -- '- hosts: fleet\n  gather_facts: false\n  tasks:\n'
		printf -- '    - file: {path: "{{ dir }}/etc", state: directory}\n'
		for i in $(seq 8); do
			printf -- "    - lineinfile: {path: \"{{ dir }}/etc/app.conf\", regexp: '^KEY%d=', line: 'KEY%d=new'}\n" "$i" "$i"
		done
		printf -- '    - blockinfile: {path: "{{ dir }}/etc/hosts.extra", create: true, block: "10.0.0.1 db\\n10.0.0.2 cache"}\n'
		printf -- '    - copy: {dest: "{{ dir }}/etc/motd", content: "managed by runbook\\n"}\n'
		printf -- '    - setup: {gather_subset: [min]}\n'
		for p in bash coreutils openssh-server; do
			printf -- "    - {command: \"dpkg-query -W -f='\${Status}' %s\", changed_when: false}\n" "$p"
		done
		printf -- '    - command: echo host is {{ ansible_distribution }}\n'
		printf -- '    - command: test -s {{ dir }}/etc/motd\n'
		printf -- '    - command: grep -c KEY {{ dir }}/etc/app.conf\n'
		printf -- '    - command: uname -r\n'
		printf -- '    - command: "true"\n'
	} >"$FB/fleet.yml"
	cat >"$FB/ansible.cfg" <<-EOF
		[defaults]
		interpreter_python = /usr/bin/python3
		stdout_callback = null
		[ssh_connection]
		pipelining = True
		ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$FB/known_hosts -o StrictHostKeyChecking=yes
	EOF
}

# fleet_bench_size N: both passes of both tools on the first N hosts.
fleet_bench_size() {
	local n=$1 i port
	local d="$FB/n$n"
	rm -rf "$d"
	mkdir -p "$d/rec1" "$d/rec2"
	: >"$d/ssh_config"
	: >"$d/hosts"
	printf '[fleet]\n' >"$d/inventory"
	i=0
	while read -r port && [ "$i" -lt "$n" ]; do
		i=$((i + 1))
		printf 'Host h%d\n  HostName 127.0.0.1\n  Port %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n\n' \
			"$i" "$port" "$FB/id" "$FB/known_hosts" >>"$d/ssh_config"
		printf 'h%d dir=%s\n' "$i" "$d/ours/h$i" >>"$d/hosts"
		printf 'h%d ansible_host=127.0.0.1 ansible_port=%s ansible_user=root ansible_ssh_private_key_file=%s dir=%s\n' \
			"$i" "$port" "$FB/id" "$d/ansible/h$i" >>"$d/inventory"
	done <"$FB/ports"

	local peer=$FLEET_ANSIBLE
	[ "$n" -gt "${FLEET_PEER_MAX:-$n}" ] && peer=0
	local ours="$RUNBOOK $FB/fleet.lua --hosts $d/hosts --ssh-config $d/ssh_config --forks $n --quiet"
	local theirs="ANSIBLE_CONFIG=$FB/ansible.cfg ANSIBLE_HOME=$d/ansible-home ansible-playbook -i $d/inventory --forks $n $FB/fleet.yml"
	fleet_bench_reset "$d/ours" "$n"
	fleet_bench_reset "$d/ansible" "$n"
	local pass
	for pass in 1 2; do
		fleet_bench_time "$d/ours$pass" bash -c "$ours --record $d/rec$pass/fleet.ttyrec" || { tail -30 "$d/ours$pass.out" >&2; return 1; }
		fleet_bench_verify "$d" "$d/ours" "$d/rec$pass" "$n" "ours$pass" || return 1
		if [ "$peer" = 1 ]; then
			fleet_bench_time "$d/ansible$pass" bash -c "$theirs" || { tail -30 "$d/ansible$pass.out" >&2; return 1; }
			fleet_bench_verify "$d" "$d/ansible" "" "$n" "ansible$pass" || return 1
		fi
	done
	python3 - "$d" "$n" "$peer" <<-'EOF' | tee -a "$RESULTS"
		import sys
		d, n, peers = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
		def t(name):
		    wall, user, sys_, rss = open(f"{d}/{name}.time").read().split()[-4:]
		    return float(wall), float(user) + float(sys_), int(rss) / 1024
		def hosts(name):
		    return float(open(f"{d}/{name}.hostcpu").read())
		checked = {p: open(f"{d}/ours{p}.checked").read().strip() for p in (1, 2)}
		for p, what in ((1, "first pass"), (2, "second pass")):
		    ow, oc, orss = t(f"ours{p}")
		    name = f"fleet {n} hosts, {what}"
		    if peers:
		        aw, ac, arss = t(f"ansible{p}")
		        print("%-34s %9.2f s    %-16s %9.2f s  %7.2fx   cpu %6.2fx   (peak RSS %.0f MB vs %.0f MB; hosts' CPU %.1f s vs %.1f s; %s)" % (
		            name, ow, "ansible-playbook", aw, aw / ow, ac / oc if oc else 0, orss, arss, hosts(f"ours{p}"), hosts(f"ansible{p}"), checked[p]))
		    else:
		        print("%-34s %9.2f s    (cpu %.2f s, peak RSS %.0f MB; hosts' CPU %.1f s; %s)" % (name, ow, oc, orss, hosts(f"ours{p}"), checked[p]))
	EOF
}

# fleet_bench_time OUT CMD...: runs CMD, its wall, user and system seconds
# and peak RSS (KB) into OUT.time, its output into OUT.out.
# fleet_bench_time runs a pass under GNU time (the controller's wall, CPU
# and peak RSS) and writes the CPU the hosts' sshds and everything under
# them spent in it to OUT.hostcpu: on this one machine the hosts' work
# shares the CPUs with the controller, and that bounds how far a fleet run
# scales here.
fleet_bench_time() {
	local out=$1 before rc=0
	shift
	before=$(fleet_bench_hostcpu)
	/usr/bin/time -o "$out.time" -f '%e %U %S %M' "$@" >"$out.out" 2>&1 || rc=$?
	# Let the hosts' sshds reap the sessions that just ended.
	sleep 1
	echo "$(fleet_bench_hostcpu) - $before" | bc >"$out.hostcpu"
	return $rc
}

# fleet_bench_hostcpu is the CPU seconds the bench's sshds and every
# process under them have used so far (their own, and what they reaped).
fleet_bench_hostcpu() {
	python3 - "$FB" <<-'EOF'
		import os, sys
		fb, hz = sys.argv[1], os.sysconf("SC_CLK_TCK")
		procs = {}
		for pid in os.listdir("/proc"):
		    if not pid.isdigit():
		        continue
		    try:
		        st = open(f"/proc/{pid}/stat").read()
		        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
		    except OSError:
		        continue
		    f = st[st.rindex(")") + 2:].split()
		    procs[int(pid)] = (int(f[1]), sum(int(x) for x in f[11:15]), cmd)
		kids = {}
		for pid, (ppid, _, _) in procs.items():
		    kids.setdefault(ppid, []).append(pid)
		# sshd names its listener "sshd: /usr/sbin/sshd -f CONF ... [listener]".
		roots = [p for p, (_, _, c) in procs.items() if c.startswith(b"sshd: /usr/sbin/sshd -f " + fb.encode() + b"/sshd_")]
		total, todo = 0, roots
		while todo:
		    p = todo.pop()
		    total += procs[p][1]
		    todo += kids.get(p, [])
		print("%.2f" % (total / hz))
	EOF
}

# fleet_bench_reset DIR N: each host's directory as before a first pass.
fleet_bench_reset() {
	local dir=$1 n=$2 i k
	rm -rf "$dir"
	for i in $(seq "$n"); do
		mkdir -p "$dir/h$i/etc"
		for k in $(seq 8); do echo "KEY$k=old"; done >"$dir/h$i/etc/app.conf"
	done
}

# fleet_bench_verify D DIR RECDIR N NAME: every host's files as the
# runbook leaves them; with RECDIR, every recording complete (its index:
# both steps ok or changed, not stopped) and checked against the runbook.
fleet_bench_verify() {
	local d=$1 dir=$2 recs=$3 n=$4 name=$5
	python3 - "$dir" "$n" "$recs" <<-'EOF' || return 1
		import glob, json, sys
		dir, n, recs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		want = "".join(f"KEY{k}=new\n" for k in range(1, 9))
		bad = [h for h in range(1, n + 1) if open(f"{dir}/h{h}/etc/app.conf").read() != want
		       or open(f"{dir}/h{h}/etc/motd").read() != "managed by runbook\n"
		       or "10.0.0.2 cache" not in open(f"{dir}/h{h}/etc/hosts.extra").read()]
		if bad:
		    sys.exit(f"bench fleet: {len(bad)} hosts' files are not as the runbook leaves them: h{bad[0]} ...")
		if recs:
		    idx = glob.glob(recs + "/*.ttyrec.json")
		    done = 0
		    for f in idx:
		        ix = json.load(open(f))
		        st = [s["status"] for s in ix.get("steps", [])]
		        if len(st) == 2 and all(s in ("ok", "changed") for s in st) and not ix.get("stopped"):
		            done += 1
		    if done != n:
		        sys.exit(f"bench fleet: {done}/{n} recordings complete in {recs}")
	EOF
	if [ -n "$recs" ]; then
		# --update: a fresh recording has no screens golden to compare
		# with; soundness, the replay and the expectations are checked.
		if "$RUNBOOK" check "$recs"/*.ttyrec --runbook "$FB/fleet.lua" --update >"$d/$name.check" 2>&1; then
			echo "$n/$n recordings checked" >"$d/$name.checked"
		else
			echo "bench fleet: runbook check failed on $recs:" >&2
			tail -20 "$d/$name.check" >&2
			return 1
		fi
	fi
}

# fleet_bench_sshd: starts one sshd on a free port and prints the port.
fleet_bench_sshd() {
	local port cfg i
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cfg="$FB/sshd_$port.conf"
	cat >"$cfg" <<-EOF
		ListenAddress 127.0.0.1:$port
		HostKey $FB/host_key
		PidFile none
		AuthorizedKeysFile $FB/authorized_keys
		StrictModes no
		PermitRootLogin yes
		UsePAM no
		MaxStartups 200
		MaxSessions 200
		LogLevel ERROR
	EOF
	unshare --mount --pid --fork --kill-child --propagation private \
		sh -c "mount -t tmpfs bench-run /run && mkdir -m 755 /run/sshd && mount -t tmpfs -o mode=700 bench-root /root && exec /usr/sbin/sshd -f $cfg -D -E $FB/sshd_$port.log" \
		</dev/null >/dev/null 2>&1 &
	echo $! >>"$FB/pids"
	for i in $(seq 200); do
		if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null | grep -q SSH-; then
			printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$FB/host_key.pub")" >>"$FB/known_hosts"
			echo "$port"
			return 0
		fi
		sleep 0.05
	done
	echo "bench fleet: sshd on $port did not start" >&2
	return 1
}

fleet_bench_stop() {
	[ -n "${FB:-}" ] && [ -d "$FB" ] || return 0
	local pid
	while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$FB/pids"
	wait 2>/dev/null || true
	rm -rf "$FB"
	FB=
}

fleet_bench_main
fleet_bench_stop
trap - EXIT
