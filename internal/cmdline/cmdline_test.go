package cmdline

import (
	"fmt"
	"strings"
	"testing"
)

func show(ss []Simple) string {
	var parts []string
	for _, s := range ss {
		var b strings.Builder
		for i, w := range s.Words {
			if i > 0 {
				b.WriteByte(' ')
			}
			if !s.Literal[i] {
				b.WriteByte('~')
			}
			fmt.Fprintf(&b, "%q", w)
		}
		for _, r := range s.Out {
			op := ">"
			if r.Append {
				op = ">>"
			}
			fmt.Fprintf(&b, " %s%q", op, r.Target)
		}
		if s.Heredoc != nil {
			fmt.Fprintf(&b, " <<%q", *s.Heredoc)
		}
		if s.Sep != "" {
			fmt.Fprintf(&b, " [%s]", strings.ReplaceAll(s.Sep, "\n", `\n`))
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, " | ")
}

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`apt-get install -y vim`, `"apt-get" "install" "-y" "vim"`},
		{`sudo -u root DEBIAN_FRONTEND=noninteractive apt-get install "x y"`, `"sudo" "-u" "root" "DEBIAN_FRONTEND=noninteractive" "apt-get" "install" "x y"`},
		{`echo $HOME 'a b' "c $d" e\ f`, `"echo" ~"$HOME" "a b" ~"c $d" "e f"`},
		{`cd /tmp && ls *.txt; false || true`, `"cd" "/tmp" [&&] | "ls" ~"*.txt" [;] | "false" [||] | "true"`},
		{`sed -i 's/a/b/' f.conf 2>/dev/null`, `"sed" "-i" "s/a/b/" "f.conf" >"/dev/null"`},
		{`make 2>&1 | tee -a log`, `"make" [|] | "tee" "-a" "log"`},
		{"cat > /etc/x.conf <<'EOF'\nA=$b\n\tc\nEOF", `"cat" >"/etc/x.conf" <<"A=$b\n\tc\n"`},
		{"cat <<-EOF >>f\n\tx\n\tEOF\necho done", `"cat" >>"f" <<"x\n" [\n] | "echo" "done"`},
		{`echo $(date +%s) > "out file" # note`, `"echo" ~"$(date +%s)" >"out file"`},
		{`ls ~/x`, `"ls" ~"~/x"`},
		{`grep -c x <in.txt >out`, `"grep" "-c" "x" >"out"`},
		{`x=1 y=2`, `"x=1" "y=2"`},
		{`( cd a; b ) &`, `"cd" "a" [;] | "b" [)]`},
	} {
		got := show(Parse(c.in))
		if got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestName(t *testing.T) {
	for _, c := range []struct {
		in, name string
		sudo     bool
	}{
		{"sudo apt-get install x", "apt-get", true},
		{"sudo -E -u bob FOO=1 systemctl start x", "systemctl", true},
		{"LANG=C sed -i s/a/b/ f", "sed", false},
		{"x=1", "", false},
	} {
		s := Parse(c.in)[0]
		if s.Name() != c.name || s.Sudo() != c.sudo {
			t.Errorf("%q: name %q sudo %v, want %q %v", c.in, s.Name(), s.Sudo(), c.name, c.sudo)
		}
	}
}
