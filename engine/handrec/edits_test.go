package handrec

import (
	"strings"
	"testing"
)

func TestEditedFiles(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"vi /etc/default/grub", "/etc/default/grub"},
		{"sudo nano +12 /etc/hosts", "/etc/hosts"},
		{"vim -O a.conf b.conf", "a.conf b.conf"},
		{"ed -s notes.txt", "notes.txt"},
		{"sed -i 's/a/b/' /etc/x.conf /etc/y.conf", "/etc/x.conf /etc/y.conf"},
		{"sed -i.bak -e 's/a/b/' -e 's/c/d/' f", "f"},
		{"sed -ri 's/a/b/' f", "f"},
		{"sed 's/a/b/' f > g", ""},
		{"sed --in-place=.orig s/a/b/ f", "f"},
		{"echo 'x y' | sudo tee -a /etc/apt/sources.list", "/etc/apt/sources.list"},
		{"cat > /etc/network/interfaces.d/br0 <<'EOF'\nauto br0\nEOF", "/etc/network/interfaces.d/br0"},
		{"cat >>~/.bashrc <<EOF\nalias l=ls\nEOF", "~/.bashrc"},
		{"echo hello >/dev/null", ""},
		{"printf '%s\\n' a > out.txt 2>&1", "out.txt"},
		{"cat /etc/os-release", ""},
		{"grep x f > g", ""},
		{"vi $F", ""},
		{"$EDITOR /etc/fstab", "/etc/fstab"},
		{"myedit f", "f"},
	} {
		got := strings.Join(EditedFiles(c.line, "myedit"), " ")
		if got != c.want {
			t.Errorf("EditedFiles(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}
