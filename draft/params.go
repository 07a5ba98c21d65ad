package draft

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/runbook-dev/runbook/recording"
)

// param is a host-specific value the draft takes as a parameter, with
// the recorded value as its default.
type param struct {
	name, value, doc string
}

var (
	uuidRe = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	macRe  = regexp.MustCompile(`(?i)\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b`)
	ipv4Re = regexp.MustCompile(`\b(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}\b`)
)

// findParams lists the host-specific values found in the commands and
// the files edited: the host's name and interfaces (as rec read them),
// UUIDs, MAC addresses and IPv4 addresses (but loopback, 0.0.0.0 and
// netmasks), in order of first appearance, each one once.
func findParams(ix *recording.Index, cmds []recording.Command, edits []edit) []*param {
	var texts []string
	for _, c := range cmds {
		texts = append(texts, c.Text)
	}
	for _, e := range edits {
		texts = append(texts, string(e.After.Bytes()), e.Path)
	}
	all := strings.Join(texts, "\n")
	var out []*param
	seen := map[string]bool{}
	names := map[string]int{}
	add := func(base, value, doc string) {
		if value == "" || seen[value] || !containsWord(all, value) {
			return
		}
		seen[value] = true
		names[base]++
		name := base
		if n := names[base]; n > 1 {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		out = append(out, &param{name: name, value: value, doc: doc})
	}
	if h := ix.Hand; h != nil {
		// A short or common host name would match too much.
		if len(h.Hostname) >= 3 && h.Hostname != "localhost" {
			add("hostname", h.Hostname, "the host's name (recorded: "+h.Hostname+")")
		}
		ifs := append([]string(nil), h.Interfaces...)
		sort.Strings(ifs)
		for _, i := range ifs {
			if len(i) >= 3 {
				add("interface", i, "a network interface (recorded: "+i+")")
			}
		}
	}
	for _, m := range uuidRe.FindAllString(all, -1) {
		add("uuid", m, "a UUID of the recorded host (a disk, a partition...)")
	}
	for _, m := range macRe.FindAllString(all, -1) {
		add("mac", m, "a MAC address of the recorded host")
	}
	for _, m := range ipv4Re.FindAllString(all, -1) {
		if strings.HasPrefix(m, "127.") || strings.HasPrefix(m, "255.") || m == "0.0.0.0" {
			continue
		}
		add("address", m, "an IP address of the recorded session")
	}
	return out
}

// containsWord reports whether v occurs in s not inside a longer word.
func containsWord(s, v string) bool {
	return len(wordIndexes(s, v)) > 0
}

// wordIndexes are the positions of v in s where it is not part of a
// longer name or number.
func wordIndexes(s, v string) []int {
	var out []int
	for from := 0; ; {
		i := strings.Index(s[from:], v)
		if i < 0 {
			return out
		}
		i += from
		j := i + len(v)
		if (i == 0 || !wordByte(s[i-1])) && (j == len(s) || !wordByte(s[j]) || s[j] == '.' && (j+1 == len(s) || !wordByte(s[j+1]))) {
			out = append(out, i)
		}
		from = i + 1
	}
}

func wordByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// expr is text as a Lua expression: a string, with every parameter's
// value replaced by the parameter (params.x), joined with "..".
func (d *drafter) expr(text string) string {
	type hit struct {
		at int
		p  *param
	}
	var hits []hit
	for _, p := range d.params {
		for _, i := range wordIndexes(text, p.value) {
			hits = append(hits, hit{i, p})
		}
	}
	if len(hits) == 0 {
		return luaString(text)
	}
	if strings.Contains(text, "\n") {
		// Several lines holding parameters: one line of Lua a line.
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			lines = append(lines, "    "+d.expr(l)+",\n")
		}
		return "table.concat({\n" + strings.Join(lines, "") + "  }, \"\\n\")"
	}
	// Longer values first where two start at the same place.
	sort.Slice(hits, func(a, b int) bool {
		if hits[a].at != hits[b].at {
			return hits[a].at < hits[b].at
		}
		return len(hits[a].p.value) > len(hits[b].p.value)
	})
	var parts []string
	pos := 0
	for _, h := range hits {
		if h.at < pos {
			continue
		}
		if h.at > pos {
			parts = append(parts, luaString(text[pos:h.at]))
		}
		parts = append(parts, "params."+h.p.name)
		pos = h.at + len(h.p.value)
	}
	if pos < len(text) {
		parts = append(parts, luaString(text[pos:]))
	}
	return strings.Join(parts, " .. ")
}
