// Package shellquote quotes text for a POSIX shell, the one way every
// command runbook types or runs is quoted: plain words stay bare, so the
// commands in a recording read as a person would type them; anything else
// goes in single quotes. It imports the standard library only.
package shellquote

import "strings"

// Quote quotes s for a POSIX shell, leaving plain words bare.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./:=@%+,-", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// Join quotes each of ss and joins them with spaces.
func Join(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, " ")
}
