#!/bin/sh
# record-guide.sh: the one command that remakes the guide's reference
# recordings and pages. It brings up andromeda (the throwaway Debian test
# host, see testhost/README.md; needs root), runs the four runbooks of the
# guide on it for real through the runbook CLI, at 100x30 with an idle
# limit of 2 s, writes recordings/NAME.ttyrec (+ .ttyrec.json index and
# .screens.txt golden), checks them, and makes docs/ from the runbooks and
# the recordings (runbook doc, runbook export). The parameters of each run
# are in guide/parts.go; the runs are the tests of package guide, so what
# is published is what CI checks.
#
# Usage:
#   scripts/record-guide.sh          record all four parts again, then docs/
#   scripts/record-guide.sh --docs   only make docs/ again from the recordings
#   scripts/record-guide.sh --vm     run the whole guide on andromeda booted as
#                                    a QEMU VM (testhost up --vm): part 1 with
#                                    LUKS and LVM and the reboot that unlocks
#                                    the disk, parts 2 and 3, the Xen
#                                    prerequisites and the reboot into Xen;
#                                    recordings in recordings/vm/ (over an
#                                    hour under emulation). With
#                                    RUNBOOK_GUIDE_VM_PART1=DIR it saves the
#                                    disk of a finished part 1 (and its
#                                    passphrase, root-only) in DIR, or, when
#                                    DIR holds one, starts from it and runs
#                                    the rest (about 25 minutes)
set -eu
cd "$(dirname "$0")/.."
case "${1:-}" in
--docs)
	RUNBOOK_GUIDE_DOCS=update exec go test ./guide -run '^TestDocsUpToDate$' -count=1 -v
	;;
--vm)
	RUNBOOK_GUIDE_VM_OUT="$PWD/recordings/vm" exec go test -tags vmguide ./guide -run '^TestGuideOnVM$' -count=1 -timeout 180m -v
	;;
"")
	RUNBOOK_GUIDE_RECORD=1 exec go test ./guide -count=1 -timeout 60m -v
	;;
*)
	echo "usage: scripts/record-guide.sh [--docs | --vm]" >&2
	exit 2
	;;
esac
