// Package guide is the slow lane of the tests: the guide shipped in
// runbooks/ (Debian install parts 1–3 and the Xen prerequisites) run for
// real against andromeda, the throwaway Debian host of package
// testhost/andromeda. The tests check the host's resulting state, run every
// part again and check that nothing changed, check the reference
// recordings in recordings/ against their runbooks, and fail when docs/ is
// out of date with the runbooks and recordings.
//
// The same tests remake the reference recordings and the pages
// (scripts/record-guide.sh sets RUNBOOK_GUIDE_RECORD=1), so what is
// published is exactly what the tests ran.
//
// Parts says how each part is run against andromeda. Nothing in the
// binary imports this package; it imports nothing of runbook's but the
// test host (in its tests).
package guide
