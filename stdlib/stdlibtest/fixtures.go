// Package stdlibtest holds what the stdlib's tests and the engine's tests
// of the stdlib share: the files the guide edits, as Debian ships them,
// and file helpers. Test support: only _test files import it; it imports
// nothing of the project.
package stdlibtest

import (
	"os"
	"testing"
)

// Grub is /etc/default/grub as Debian ships it, enough of it for the
// guide's edits.
const Grub = `# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=` + "`lsb_release -i -s 2> /dev/null || echo Debian`" + `
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""

# Uncomment to disable graphical terminal (grub-pc only)
#GRUB_TERMINAL=console
`

// XenCfg is /etc/default/grub.d/xen.cfg as Debian ships it.
const XenCfg = `# The Xen hypervisor entries come first in the menu.
#
#XEN_OVERRIDE_GRUB_DEFAULT=0

# Default Xen boot options
GRUB_CMDLINE_XEN_DEFAULT=""
`

// ReadFile returns p's content, failing the test when it cannot.
func ReadFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// WriteFile writes content to p with mode (whatever the umask), failing
// the test when it cannot.
func WriteFile(t testing.TB, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}
