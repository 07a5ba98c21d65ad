package secret

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// A command rewritten by Refer does what the original did, run by bash
// with the variable set, and holds no form of the secret.
func TestReferKeepsMeaning(t *testing.T) {
	secrets := []string{"Sup3rS3cretXYZ", "x", "a'b\"c$d`e\\f", "two words", "ünïcødé"}
	templates := []string{
		`printf '%s\n' SECRET`,
		`printf '%s\n' 'pre SECRET post'`,
		`printf '%s\n' "pre SECRET post"`,
		`printf '%s\n' $'pre SECRET post'`,
		"cat <<'EOF'\npassword = SECRET\n$HOME `x` \\n\nEOF",
		"cat <<EOF\npassword = SECRET\nEOF",
		`export V='SECRET'; printf '%s\n' "$V"`,
		"# a comment SECRET\necho done",
	}
	for _, sec := range secrets {
		set := New(sec)
		for _, tpl := range templates {
			// The original as a runbook would build it: the secret quoted
			// for where it stands.
			cmd := build(tpl, sec)
			if cmd == "" {
				continue
			}
			got, used, err := Refer(cmd, []Ref{{Var: "pw", Value: sec}}, set)
			if err != nil {
				t.Errorf("%q in %q: %v", sec, tpl, err)
				continue
			}
			if len(sec) > 1 && set.Contains(got) {
				t.Errorf("%q in %q: rewritten %q still holds it", sec, tpl, got)
			}
			want := runBash(t, cmd, "")
			have := runBash(t, got, sec)
			if strings.Contains(tpl, "#") {
				want = strings.ReplaceAll(want, sec, Mask)
			}
			if want != have {
				t.Errorf("%q in %q:\n original  %q -> %q\n rewritten %q -> %q", sec, tpl, cmd, want, got, have)
			}
			if !strings.Contains(tpl, "#") && len(used) != 1 {
				t.Errorf("%q in %q: used %v", sec, tpl, used)
			}
		}
	}
}

// build puts sec into tpl escaped for the quoting at its place, as a
// careful author (or the stdlib's shell quoting) would.
func build(tpl, sec string) string {
	i := strings.Index(tpl, "SECRET")
	before := tpl[:i]
	switch {
	case strings.Contains(tpl, "<<EOF"):
		if strings.ContainsAny(sec, "$`\\") {
			return ""
		}
		return strings.Replace(tpl, "SECRET", sec, 1)
	case strings.Contains(tpl, "<<'EOF'"), strings.HasPrefix(tpl, "#"):
		if strings.Contains(sec, "\n") {
			return ""
		}
		return strings.Replace(tpl, "SECRET", sec, 1)
	case strings.HasSuffix(before, "$'pre "):
		if strings.ContainsAny(sec, `'\`) {
			return ""
		}
		return strings.Replace(tpl, "SECRET", sec, 1)
	case strings.Count(before, "'")%2 == 1:
		return strings.Replace(tpl, "SECRET", strings.ReplaceAll(sec, "'", `'\''`), 1)
	case strings.Count(before, `"`)%2 == 1:
		return strings.Replace(tpl, "SECRET", dqInner(sec), 1)
	}
	return strings.Replace(tpl, "SECRET", "'"+strings.ReplaceAll(sec, "'", `'\''`)+"'", 1)
}

func runBash(t *testing.T, cmd, pw string) string {
	t.Helper()
	c := exec.Command("bash", "-c", cmd)
	c.Env = append(c.Environ(), "pw="+pw, "HOME=/home/x")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("bash -c %q: %v: %s", cmd, err, out)
	}
	return string(out)
}

// A secret escaped in a way no variable stands for is refused, not typed.
func TestReferRefusesWhatItCannotReach(t *testing.T) {
	sec := "a/b&c"
	cmd := `sed -i 's/^pw=.*/pw=a\/b\&c/' f`
	_, _, err := Refer(cmd, []Ref{{Var: "pw", Value: sec}}, New(sec))
	var re *RefusedError
	if !errors.As(err, &re) || re.Var != "pw" {
		t.Fatalf("got %v, want a RefusedError naming pw", err)
	}
	// Base64 of the secret in a command is refused as well.
	sec = "Sup3rS3cretXYZ"
	_, _, err = Refer("echo U3VwM3JTM2NyZXRYWVo= | base64 -d", []Ref{{Var: "pw", Value: sec}}, New(sec))
	if !errors.As(err, &re) {
		t.Fatalf("base64 form: got %v, want a RefusedError", err)
	}
}
