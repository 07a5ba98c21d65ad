package stdlib

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/runbook-dev/runbook/internal/shellquote"
	"github.com/runbook-dev/runbook/internal/testenv"
)

// The property every line edit keeps: the command typed when the
// operation ran on file A, pasted by a reader onto another file B, leaves
// B exactly as the operation would have left it — or exits non-zero with
// B untouched. Never a silent wrong edit. A and B are generated (lines
// shifted up and down, the target present, absent, commented,
// duplicated, B already edited, no final newline, CRLF, empty, missing),
// and every command runs in the real bash with the real GNU grep and sed.

// copyCase is one generated case.
type copyCase struct {
	name    string
	a, b    []byte
	bExists bool
	apply   func(content []byte, exists bool) ([]byte, error)
	command func(path string) (string, bool)
}

var copyPool = []string{
	"KEY=old", "#KEY=old", "# KEY=1", "#KEY=", "KEY=", "  KEY=indented", "KEYX=1", "XKEY=2",
	"OTHER=x", "OTHER=y", "", "# a comment", "GRUB_DEFAULT=0", `GRUB_CMDLINE_LINUX=""`,
	`GRUB_CMDLINE_LINUX_DEFAULT="quiet"`, "\tuse_lvmetad = 1", "    use_lvmetad=0", "#\tuse_lvmetad = 1",
	"XEN_OVERRIDE_GRUB_DEFAULT=1 # fallback", "ExecStart=/usr/bin/x --a", "a.b*c[d]^$", "x & y \\ z",
	"it's", "path=/a/b|c", "## double", "#", "  # indented comment KEY=3", "auto lo", "iface lo inet loopback",
}

// copySpecs are the edits tried, as the stdlib builds them.
func copySpecs() []struct {
	name string
	mk   func(path string) (apply func([]byte, bool) ([]byte, error), command func() (string, bool))
} {
	type mk = func(path string) (func([]byte, bool) ([]byte, error), func() (string, bool))
	line := func(s lineSpec) mk {
		return func(path string) (func([]byte, bool) ([]byte, error), func() (string, bool)) {
			c := s
			c.path = path
			return c.apply, c.command
		}
	}
	re := regexp.MustCompile
	comment := func(pat, prefix string) mk {
		return func(path string) (func([]byte, bool) ([]byte, error), func() (string, bool)) {
			c := &commentSpec{path: path, re: re(pat), prefix: prefix, mark: strings.TrimSpace(prefix)}
			return func(b []byte, ex bool) ([]byte, error) {
				if !ex {
					return nil, fmt.Errorf("no such file")
				}
				return c.apply(b), nil
			}, c.command
		}
	}
	uncomment := func(pat, marker string) mk {
		return func(path string) (func([]byte, bool) ([]byte, error), func() (string, bool)) {
			c := &uncommentSpec{path: path, re: re(pat), marker: marker}
			return func(b []byte, ex bool) ([]byte, error) {
				if !ex {
					return nil, fmt.Errorf("no such file")
				}
				return c.apply(b), nil
			}, c.command
		}
	}
	return []struct {
		name string
		mk   func(string) (func([]byte, bool) ([]byte, error), func() (string, bool))
	}{
		{"line regexp", line(lineSpec{re: re(`^KEY=`), line: "KEY=new"})},
		{"line regexp commented", line(lineSpec{re: re(`^(#\s*)?KEY=`), line: "KEY=0"})},
		{"line regexp #?", line(lineSpec{re: re(`^#?KEY=`), line: "KEY=0"})},
		{"line regexp indented", line(lineSpec{re: re(`^\s*use_lvmetad\s*=`), line: "\tuse_lvmetad = 0"})},
		{"line regexp unanchored", line(lineSpec{re: re(`KEY=`), line: "KEY=9"})},
		{"line regexp alternation", line(lineSpec{re: re(`^KEY=|^OTHER=`), line: "KEY=alt"})},
		{"line regexp not matching line", line(lineSpec{re: re(`^#KEY=`), line: "KEY=1"})},
		{"line exact", line(lineSpec{line: "KEY=old"})},
		{"line exact special", line(lineSpec{line: "path=/a/b|c & d \\ e 'f'"})},
		{"line before", line(lineSpec{re: re(`^_KEY=`), line: `_KEY="x"`, before: re(`^GRUB_CMDLINE_LINUX=`)})},
		{"line after", line(lineSpec{re: re(`^NEW=`), line: "NEW=1", after: re(`^OTHER=`)})},
		{"line after exact", line(lineSpec{line: "NEW=2", after: re(`^auto lo$`)})},
		{"line bof", line(lineSpec{line: "FIRST=1", bof: true})},
		{"line create", line(lineSpec{re: re(`^(#\s*)?KEY=`), line: "KEY=c", create: true})},
		{"line create exact", line(lineSpec{line: "KEY=c", create: true})},
		{"line create bof", line(lineSpec{line: "KEY=c", create: true, bof: true})},
		{"line replace only", line(lineSpec{re: re(`^\s*use_lvmetad\s*=`), line: "\tuse_lvmetad = 0", noAdd: true, ifExists: true})},
		{"line if exists", line(lineSpec{re: re(`^#?KEY=`), line: "KEY=ie", ifExists: true})},
		{"line absent regexp", line(lineSpec{re: re(`^#?KEY=`), absent: true})},
		{"line absent exact", line(lineSpec{line: "a.b*c[d]^$", absent: true})},
		{"line leading blank", line(lineSpec{re: re(`^\s+KEY=`), line: "  KEY=sp"})},
		{"line tail class", line(lineSpec{re: re(`^GRUB_CMDLINE_LINUX(_DEFAULT)?=`), line: `GRUB_CMDLINE_LINUX="a=b/c"`})},
		{"comment", comment(`^KEY=`, "# ")},
		{"comment any", comment(`KEY`, "#")},
		{"comment slashes", comment(`^OTHER`, "// ")},
		{"uncomment anchored", uncomment(`^KEY=`, "#")},
		{"uncomment unanchored", uncomment(`use_lvmetad`, "#")},
		{"uncomment double marker", uncomment(`^double`, "##")},
		// No copy-safe sed (file.replace, file.block): the guarded write.
		{"replace guarded", func(path string) (func([]byte, bool) ([]byte, error), func() (string, bool)) {
			return func(b []byte, ex bool) ([]byte, error) {
				if !ex {
					return nil, fmt.Errorf("no such file")
				}
				return re(`(?m)^KEY=(.*)$`).ReplaceAll(b, []byte("KEY=[$1]")), nil
			}, func() (string, bool) { return "", false }
		}},
	}
}

func randomLines(r *rand.Rand, n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = copyPool[r.Intn(len(copyPool))]
	}
	return ls
}

func joinLines(ls []string, finalNL, crlf bool) []byte {
	sep := "\n"
	if crlf {
		sep = "\r\n"
	}
	s := strings.Join(ls, sep)
	if finalNL && len(ls) > 0 {
		s += sep
	}
	return []byte(s)
}

// vary makes B from A's lines the ways a reader's host differs.
func vary(r *rand.Rand, ls []string) []string {
	out := append([]string{}, ls...)
	for k := r.Intn(4); k > 0; k-- {
		switch r.Intn(6) {
		case 0: // lines shifted down
			out = append(randomLines(r, r.Intn(4)+1), out...)
		case 1: // lines shifted up
			if len(out) > 0 {
				n := r.Intn(len(out)) + 1
				out = out[min(n, len(out)):]
			}
		case 2: // a line duplicated
			if len(out) > 0 {
				i := r.Intn(len(out))
				out = append(out[:i+1], append([]string{out[i]}, out[i+1:]...)...)
			}
		case 3: // a line commented
			if len(out) > 0 {
				i := r.Intn(len(out))
				out[i] = "#" + out[i]
			}
		case 4: // a line removed
			if len(out) > 0 {
				i := r.Intn(len(out))
				out = append(out[:i], out[i+1:]...)
			}
		default: // another line
			if len(out) > 0 {
				out[r.Intn(len(out))] = copyPool[r.Intn(len(copyPool))]
			}
		}
	}
	return out
}

func genContent(r *rand.Rand, ls []string) []byte {
	return joinLines(ls, r.Intn(5) != 0, r.Intn(8) == 0)
}

// TestCopySafeLineEdits: thousands of seeded cases of the property above,
// every command run by bash.
func TestCopySafeLineEdits(t *testing.T) {
	testenv.Programs(t, "bash", "grep", "sed")
	const cases = 2000
	r := rand.New(rand.NewSource(16))
	dir := t.TempDir()
	specs := copySpecs()
	type run struct {
		name, path, cmd string
		b, want         []byte
		bExists, opErr  bool
		fromA           string
	}
	var runs []run
	// Two shells, one per core of a small machine.
	var scripts [2]strings.Builder
	typed, guarded := 0, 0
	for i := 0; len(runs) < cases && i < cases*10; i++ {
		sp := specs[i%len(specs)]
		path := filepath.Join(dir, fmt.Sprintf("c%d.conf", len(runs)))
		apply, command := sp.mk(path)
		aLines := randomLines(r, r.Intn(8))
		a := genContent(r, aLines)
		aExists := r.Intn(15) != 0
		if !aExists {
			a = nil
		}
		outA, err := apply(a, aExists)
		if err != nil || aExists && bytes.Equal(outA, a) {
			continue // the operation fails on A, or types nothing there
		}
		cmd, ok := command()
		if !ok {
			cmd = guardPrefix(path, a, aExists) + typedFill(path, outA)
			guarded++
		} else {
			typed++
		}
		var b []byte
		bExists := true
		switch r.Intn(10) {
		case 0:
			b = outA // the edit is already there
		case 1:
			b = a
		case 2:
			b, bExists = nil, r.Intn(2) == 0 // empty, or missing
		default:
			b = genContent(r, vary(r, aLines))
		}
		want, err := apply(b, bExists)
		runs = append(runs, run{name: sp.name, path: path, cmd: cmd, b: b, want: want, bExists: bExists, opErr: err != nil, fromA: string(a)})
		if bExists {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&scripts[len(runs)%2], "{\n%s\n} >/dev/null 2>&1; echo $? > %s\n", cmd, shellquote.Quote(path+".rc"))
	}
	if len(runs) < cases {
		t.Fatalf("only %d cases generated", len(runs))
	}
	var shells []*exec.Cmd
	var outs [2]bytes.Buffer
	for i := range scripts {
		sh := filepath.Join(dir, fmt.Sprintf("cases%d.sh", i))
		if err := os.WriteFile(sh, []byte(scripts[i].String()), 0o644); err != nil {
			t.Fatal(err)
		}
		c := exec.Command("bash", sh)
		c.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
		c.Stdout, c.Stderr = &outs[i], &outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		shells = append(shells, c)
	}
	for i, c := range shells {
		if err := c.Wait(); err != nil {
			t.Fatalf("bash: %v\n%s", err, outs[i].String())
		}
	}
	bad := 0
	for _, rn := range runs {
		rc, err := os.ReadFile(rn.path + ".rc")
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(rn.path)
		exists := err == nil
		untouched := exists == rn.bExists && bytes.Equal(got, rn.b)
		ok := false
		switch {
		case strings.TrimSpace(string(rc)) != "0":
			ok = untouched
		case rn.opErr:
			ok = untouched // the operation refuses B: so may the command, by doing nothing
		case !rn.bExists && rn.want == nil:
			ok = !exists // the operation leaves a missing file missing (if_exists)
		default:
			ok = exists && bytes.Equal(got, rn.want)
		}
		if !ok {
			bad++
			if bad <= 8 {
				t.Errorf("%s: command from A %q:\n%s\nexit %s on B %q (exists %v)\ngave %q (exists %v)\nthe operation on B gives %q (error %v)",
					rn.name, rn.fromA, rn.cmd, strings.TrimSpace(string(rc)), rn.b, rn.bExists, got, exists, rn.want, rn.opErr)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases broke copy safety", bad, len(runs))
	}
	t.Logf("%d cases: %d typed as grep/sed, %d as a guarded whole-file write", len(runs), typed, guarded)
	if guarded*5 > len(runs) {
		t.Errorf("%d of %d cases needed the guarded whole-file write", guarded, len(runs))
	}
}
