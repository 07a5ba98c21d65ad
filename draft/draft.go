// Package draft writes a runbook from a recorded session (`runbook
// draft`): one step per marker, one sh() per command typed, and stdlib
// operations where a command is recognised — a package installed, a unit
// enabled or started, a diversion, a file edited (from the contents `runbook
// rec` read before and after) — so the draft is idempotent where the
// session was not. Values that look host-specific become parameters.
//
// It reads the index alone (package recording) and writes Lua text; it
// must not import the engine or the player.
package draft

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/cmdline"
	"github.com/runbook-dev/runbook/recording"
)

// Options say what to call the runbook.
type Options struct {
	Name      string // runbook name (default: "draft")
	Recording string // the recording's path, named in the header comment
}

// step is one step of the draft.
type step struct {
	name  string
	items []string // Lua statements, already indented
}

// Write returns the Lua text of a runbook drafted from ix.
func Write(ix *recording.Index, o Options) (string, error) {
	cmds, edits, title := commandsOf(ix)
	if o.Name == "" {
		o.Name = "draft"
	}
	d := &drafter{ix: ix, edits: mergeEdits(edits)}
	d.params = findParams(ix, cmds, d.edits)

	// Steps: what came before the first marker, then one per marker.
	var marks []recording.Marker
	for _, m := range ix.Markers {
		if !isResize(m.Label) {
			marks = append(marks, m)
		}
	}
	steps := []*step{{}}
	for _, m := range marks {
		steps = append(steps, &step{name: m.Label})
	}
	stepOf := func(c recording.Command) int {
		k := 0
		for i, m := range marks {
			if c.Start >= m.At {
				k = i + 1
			}
		}
		return k
	}
	last := len(cmds) - 1
	for last >= 0 && isExit(cmds[last]) {
		last-- // the exit that ended the session
	}
	for i := 0; i <= last; i++ {
		c := cmds[i]
		k := stepOf(c)
		var next *recording.Command
		if i < last && stepOf(cmds[i+1]) == k {
			next = &cmds[i+1]
		}
		steps[k].items = append(steps[k].items, d.command(i, c, next)...)
	}
	if len(steps[0].items) == 0 {
		steps = steps[1:]
	}

	var b strings.Builder
	fmt.Fprintf(&b, "-- Drafted by runbook draft from %s", orDefault(o.Recording, "a recording"))
	if !ix.StartedAt.IsZero() {
		fmt.Fprintf(&b, " (recorded on %s, %s)", orDefault(ix.Host, "local"), ix.StartedAt.UTC().Format(time.RFC3339))
	}
	b.WriteString(".\n-- Read it before running it: commands kept as typed say why; file edits,\n")
	b.WriteString("-- packages and units became stdlib operations, which change only what differs.\n")
	if d.sudo {
		b.WriteString("-- Some commands were typed with sudo: run it as root, or with --sudo over SSH.\n")
	}
	b.WriteString("runbook {\n")
	fmt.Fprintf(&b, "  name = %s,\n", luaString(o.Name))
	if title != "" {
		fmt.Fprintf(&b, "  title = %s,\n", luaString(title))
	}
	if ix.Host != "" && ix.Host != "local" {
		fmt.Fprintf(&b, "  host = %s,\n", luaString(ix.Host))
	}
	if len(d.params) > 0 {
		b.WriteString("  params = {\n")
		for _, p := range d.params {
			fmt.Fprintf(&b, "    %s = { default = %s, doc = %s },\n", p.name, luaString(p.value), luaString(p.doc))
		}
		b.WriteString("  },\n")
	}
	b.WriteString("}\n")
	if len(cmds) == 0 {
		b.WriteString("\n-- The recording's index has no commands")
		if ix.Hand != nil && ix.Hand.Note != "" {
			b.WriteString(": " + ix.Hand.Note)
		}
		b.WriteString(".\n")
	}
	for n, s := range steps {
		name := s.name
		if name == "" {
			name = fmt.Sprintf("Step %d", n+1)
		}
		fmt.Fprintf(&b, "\nstep(%s, function()\n", luaString(name))
		if len(s.items) == 0 {
			b.WriteString("  comment(\"Nothing was typed in this step.\")\n")
		}
		for _, it := range s.items {
			b.WriteString(it)
		}
		b.WriteString("end)\n")
	}
	return b.String(), nil
}

// commandsOf returns the session's commands, edits and title: a hand
// recording's, or a run's (its steps' commands, in order).
func commandsOf(ix *recording.Index) ([]recording.Command, []recording.Edit, string) {
	if ix.Hand != nil {
		return ix.Hand.Commands, ix.Hand.Edits, ix.Hand.Title
	}
	var cmds []recording.Command
	for _, s := range ix.Steps {
		for _, c := range s.Commands {
			if !c.Skipped {
				cmds = append(cmds, c)
			}
		}
	}
	title := ""
	if ix.Runbook != nil {
		title = ix.Runbook.Name
	}
	return cmds, nil, title
}

// mergeEdits makes a file edited several times one change, at its first
// edit: from the content before the first to the content after the last.
// Run again, writing the content between two edits would undo the second
// and let the next operation redo it: never idempotent. Set at the first
// edit, the commands after it find the file there, as in the session
// (with its final content). The later edits are marked superseded.
func mergeEdits(edits []recording.Edit) []edit {
	out := make([]edit, len(edits))
	for i, e := range edits {
		out[i] = edit{Edit: e}
	}
	first := map[string]int{}
	for i := range out {
		e := &out[i]
		f, seen := first[e.Path]
		if !seen {
			first[e.Path] = i
			continue
		}
		e.superseded = true
		fe := &out[f]
		fe.After, fe.Exists = e.After, e.Exists
		if e.Error != "" && fe.Error == "" {
			fe.Error = e.Error
		}
	}
	return out
}

func isExit(c recording.Command) bool {
	f := strings.Fields(c.Text)
	return len(f) >= 1 && len(f) <= 2 && (f[0] == "exit" || f[0] == "logout")
}

func isResize(label string) bool {
	var c, r int
	n, err := fmt.Sscanf(label, "resize %dx%d", &c, &r)
	return err == nil && n == 2 && label == fmt.Sprintf("resize %dx%d", c, r)
}

// edit is a file edit of the index; superseded when the same file is
// edited again later (see mergeEdits).
type edit struct {
	recording.Edit
	superseded bool
}

type drafter struct {
	ix     *recording.Index
	edits  []edit
	params []*param
	sudo   bool
}

// command drafts command i (next is the one after it in the same step).
func (d *drafter) command(i int, c recording.Command, next *recording.Command) []string {
	parsed := cmdline.Parse(c.Text)
	if len(parsed) > 0 && parsed[0].Sudo() {
		d.sudo = true
	}
	if c.Exit > 0 && next != nil && retyped(parsed, cmdline.Parse(next.Text)) {
		return []string{comment(fmt.Sprintf("typed first, failed (exit %d), then typed again corrected:\n%s", c.Exit, c.Text))}
	}
	var edits []edit
	for _, e := range d.edits {
		if e.Command == i {
			edits = append(edits, e)
		}
	}
	if len(edits) > 0 {
		if out := d.fileOps(c, parsed, edits); out != nil {
			return out
		}
	}
	if c.Exit == 0 {
		if op := d.stdlibOp(parsed); op != "" {
			return []string{comment("typed: " + c.Text), "  " + op + "\n"}
		}
	}
	return []string{d.sh(c, why(parsed, c))}
}

// sh keeps a command as typed, with a comment saying why.
func (d *drafter) sh(c recording.Command, reason string) string {
	args := d.expr(c.Text)
	switch {
	case c.Exit > 0:
		args += fmt.Sprintf(", { ok = {%d} }", c.Exit)
	case c.Exit < 0:
		reason = "still running when the recording ended; " + reason
	}
	s := "  sh(" + args + ")"
	if reason != "" {
		if strings.Contains(args, "\n") {
			return comment(reason) + s + "\n"
		}
		s += "  -- " + reason
	}
	return s + "\n"
}

// why says why a command stays a command.
func why(parsed []cmdline.Simple, c recording.Command) string {
	if len(parsed) == 0 {
		return ""
	}
	name := path.Base(parsed[0].Name())
	switch {
	case len(parsed) == 1 && (name == "cd" || name == "export" || name == "pushd" || name == "popd" || name == "umask" || name == "source" || name == "."):
		return "kept for the shell state"
	case c.Exit > 0:
		return fmt.Sprintf("failed when recorded (exit %d)", c.Exit)
	case len(parsed) > 1:
		return "several commands in one line: kept as typed"
	case !parsed[0].AllLiteral():
		return "uses the shell's expansions: kept as typed"
	case name == "apt-get" || name == "apt" || name == "aptitude" || name == "systemctl" || name == "dpkg-divert":
		return "no stdlib operation for these options: kept as typed"
	}
	return "no stdlib operation for " + name + ": kept as typed"
}

// retyped reports whether b looks like a corrected a: the same program
// (and subcommand) typed again.
func retyped(a, b []cmdline.Simple) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	na, nb := a[0].Name(), b[0].Name()
	if na == "" || na != nb {
		return false
	}
	aa, ba := a[0].Args(), b[0].Args()
	if len(aa) > 0 && len(ba) > 0 && !strings.HasPrefix(aa[0], "-") && !strings.HasPrefix(ba[0], "-") && na != "cd" && na != "ls" && na != "cat" && na != "grep" {
		// git commit vs git push: another command of the same program;
		// apt-get instal vs install: the same one, mistyped.
		return closeTo(aa[0], ba[0])
	}
	return true
}

// closeTo reports whether two words are at most two edits apart.
func closeTo(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b)+2 || len(b) > len(a)+2 {
		return false
	}
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)] <= 2
}

// stdlibOp turns a recognised command into a stdlib call ("" if none).
func (d *drafter) stdlibOp(parsed []cmdline.Simple) string {
	if len(parsed) != 1 || !parsed[0].AllLiteral() || parsed[0].Heredoc != nil || len(parsed[0].Out) > 0 {
		return ""
	}
	s := parsed[0]
	name, args := path.Base(s.Name()), s.Args()
	switch name {
	case "apt-get", "apt", "aptitude":
		return d.aptInstall(name, args)
	case "systemctl":
		return d.systemctl(args)
	case "dpkg-divert":
		return d.divert(args)
	}
	return ""
}

func (d *drafter) aptInstall(tool string, args []string) string {
	var pkgs, opts []string
	install := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "install" && !install:
			install = true
		case a == "-y" || a == "--yes" || a == "-q" || a == "-qq" || a == "--assume-yes" || a == "--quiet":
		case a == "--no-install-recommends" || a == "-R" && tool == "aptitude" || a == "--without-recommends":
			opts = append(opts, "recommends = false")
		case a == "-t" || a == "--target-release" || a == "--default-release":
			if i+1 >= len(args) {
				return ""
			}
			i++
			opts = append(opts, "release = "+d.expr(args[i]))
		case strings.HasPrefix(a, "--target-release="):
			opts = append(opts, "release = "+d.expr(strings.TrimPrefix(a, "--target-release=")))
		case strings.HasPrefix(a, "-"):
			return "" // an option the operation does not have
		case !install:
			return "" // another subcommand
		default:
			pkgs = append(pkgs, a)
		}
	}
	if !install || len(pkgs) == 0 {
		return ""
	}
	if tool == "aptitude" {
		opts = append(opts, `tool = "aptitude"`)
	}
	var list []string
	for _, p := range pkgs {
		if strings.ContainsAny(p, "=/*") {
			return "" // a version, a release or a pattern: as typed
		}
		list = append(list, d.expr(p))
	}
	call := "apt.install({ " + strings.Join(list, ", ") + " }"
	if len(opts) > 0 {
		call += ", { " + strings.Join(opts, ", ") + " }"
	}
	return call + ")"
}

func (d *drafter) systemctl(args []string) string {
	var verb string
	var units []string
	now := false
	for _, a := range args {
		switch {
		case a == "--now":
			now = true
		case a == "-q" || a == "--quiet" || a == "--no-pager":
		case strings.HasPrefix(a, "-"):
			return ""
		case verb == "":
			verb = a
		default:
			units = append(units, a)
		}
	}
	switch verb {
	case "enable", "disable":
	case "start", "stop", "restart":
		if now {
			return ""
		}
	default:
		return ""
	}
	if len(units) == 0 {
		return ""
	}
	var calls []string
	for _, u := range units {
		c := "systemd." + verb + "(" + d.expr(u)
		if now {
			c += ", { now = true }"
		}
		calls = append(calls, c+")")
	}
	return strings.Join(calls, "\n  ")
}

func (d *drafter) divert(args []string) string {
	var to, file string
	rename, remove := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--divert":
			if i+1 >= len(args) {
				return ""
			}
			i++
			to = args[i]
		case strings.HasPrefix(a, "--divert="):
			to = strings.TrimPrefix(a, "--divert=")
		case a == "--rename":
			rename = true
		case a == "--no-rename":
			rename = false
		case a == "--remove":
			remove = true
		case a == "--add" || a == "--local" || a == "--quiet":
		case strings.HasPrefix(a, "-"):
			return ""
		default:
			if file != "" {
				return ""
			}
			file = a
		}
	}
	if !strings.HasPrefix(file, "/") {
		return ""
	}
	if remove {
		return fmt.Sprintf("dpkg.divert(%s, { state = \"absent\", rename = %v })", d.expr(file), rename)
	}
	if !strings.HasPrefix(to, "/") {
		return ""
	}
	return fmt.Sprintf("dpkg.divert(%s, { to = %s, rename = %v })", d.expr(file), d.expr(to), rename)
}

// comment makes Lua comment lines.
func comment(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString("  -- " + l + "\n")
	}
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// luaString quotes s as a Lua string: a long bracket for text of several
// lines, else a double-quoted string.
func luaString(s string) string {
	if strings.Contains(s, "\n") && !strings.ContainsAny(s, "\r\x00") && isPrintable(s) {
		level := 0
		for strings.Contains(s, "]"+strings.Repeat("=", level)+"]") || strings.HasSuffix(s, "]"+strings.Repeat("=", level)) {
			level++
		}
		eq := strings.Repeat("=", level)
		// Lua drops the newline right after the opening bracket.
		return "[" + eq + "[\n" + s + "]" + eq + "]"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\%03d`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
