# check against info (issue 15): `runbook check REC --runbook FILE`
# replays the runbook's Lua against the recording's index (no host) and
# should take under twice what `info REC` takes on the same recording. The
# ratio column is info ÷ check: above 0.5 meets that. Sourced by
# bench/run.sh.

for part in debian-install-1 debian-install-2 debian-install-3 xen-prereqs; do
	rec=recordings/$part.ttyrec
	row "check $part" "$(stat -c %s "$rec")" \
		"$RUNBOOK check $rec --runbook runbooks/$part.lua" \
		info "$RUNBOOK info $rec"
done
