#!/usr/bin/env bash
# Installs what the tests need (idempotently) and runs the whole test suite.
# Safe to run again and again; as root on a bare Debian machine it installs
# the Debian packages in scripts/apt-packages.txt without starting any of
# their daemons.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

need=()
while read -r pkg; do
	case "$pkg" in ""|"#"*) continue ;; esac
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need+=("$pkg")
done < scripts/apt-packages.txt

if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "scripts/test.sh: missing packages: ${need[*]} (run as root to install them)" >&2
	else
		echo "==> installing: ${need[*]}"
		# Keep package scripts from starting daemons (sshd, ...) on this machine.
		prc=/usr/sbin/policy-rc.d
		made_prc=""
		if [ ! -e "$prc" ]; then
			printf '#!/bin/sh\nexit 101\n' > "$prc" && chmod +x "$prc" && made_prc=1
		fi
		trap '[ -n "$made_prc" ] && rm -f "$prc"' EXIT
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "${need[@]}"
		[ -n "$made_prc" ] && rm -f "$prc"
		made_prc=""
	fi
fi

echo "==> go vet ./..."
go vet ./...

# Two lanes, one command, together `go test ./...`: the fast tests, then
# the slow lane: testhost and every package whose tests boot andromeda, the
# throwaway Debian test host (its first build on a clean machine takes
# minutes), the guide run for real on it (package guide) among them.
slow=$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
	awk '/testhost\/andromeda/ || $1 ~ /\/testhost$/ {print $1}')
fast=$(go list ./... | grep -vxF -f <(printf '%s\n' $slow))
# A third lane, after the slow one: andromeda booted as a QEMU VM with its
# own kernel (emulated: about a minute a boot), kept apart so that neither
# lane before it waits for it.
vm=$(go list ./testhost/andromeda/vmtest)
slow=$(printf '%s\n' $slow | grep -vxF "$vm")
echo "==> go test (fast lane)"
start=$(date +%s)
go test -count=1 -timeout 20m "$@" $fast
echo "==> fast lane took $(( $(date +%s) - start )) s"
echo "==> go test (slow lane: andromeda):" $slow
start=$(date +%s)
go test -count=1 -timeout 50m "$@" $slow
echo "==> slow lane took $(( $(date +%s) - start )) s"
echo "==> go test (vm lane: andromeda as a QEMU VM):" $vm
start=$(date +%s)
go test -count=1 -timeout 40m "$@" $vm
echo "==> vm lane took $(( $(date +%s) - start )) s"
