package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Runbook is what a runbook file declares: its metadata, parameters and
// steps, in order.
type Runbook struct {
	// Path names the runbook in messages and the index, as the user gave it
	// (or "runbooks/demo.lua" for a built-in one).
	Path        string
	Name        string
	Title       string
	Description string
	Host        string   // the host it is meant for, if declared
	Sudo        bool     // run the session under sudo
	Normalize   []string // patterns to blank out when comparing transcripts
	Prompt      string   // PS1 for the recording (bash syntax)
	Params      []*Param
	Steps       []*Step
	SHA256      string
	declared    bool // runbook{} was called
	src         []byte
	lines       []string
}

// Step is one declared step.
type Step struct {
	N            int // 1-based
	Name         string
	FileLine     string
	SourceSHA256 string
	fn           *lua.LFunction
}

// Param is a declared parameter.
type Param struct {
	Name     string
	Doc      string
	Type     string // "string", "number" or "bool"
	Default  string
	Secret   bool
	Required bool // no default
	// Env, for a secret, is the environment variable it is exported as in
	// the session, so commands use "$NAME" and the value never appears on
	// a command line.
	Env   string
	Value string // resolved value
}

func newRunbook(path string, src []byte) *Runbook {
	sum := sha256.Sum256(src)
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &Runbook{
		Path:   path,
		Name:   base,
		SHA256: hex.EncodeToString(sum[:]),
		src:    src,
		lines:  strings.Split(string(src), "\n"),
	}
}

// source returns the text of lines first..last (1-based, inclusive).
func (rb *Runbook) source(first, last int) string {
	if first < 1 {
		first = 1
	}
	if last > len(rb.lines) {
		last = len(rb.lines)
	}
	if first > last {
		return ""
	}
	return strings.Join(rb.lines[first-1:last], "\n")
}

// Find returns the step named or numbered sel ("3", "Install packages").
func (rb *Runbook) Find(sel string) (*Step, bool) {
	for _, s := range rb.Steps {
		if s.Name == sel {
			return s, true
		}
	}
	sel = strings.TrimSpace(sel)
	for _, s := range rb.Steps {
		if sel == itoa(s.N) {
			return s, true
		}
	}
	// Names match without regard to case (as typed at a shell: --from
	// "install packages"), when that picks one step.
	var found *Step
	for _, s := range rb.Steps {
		if strings.EqualFold(strings.TrimSpace(s.Name), sel) {
			if found != nil {
				return nil, false
			}
			found = s
		}
	}
	return found, found != nil
}

func itoa(n int) string { return lua.LNumber(n).String() }

// hashSource hashes a step's source text.
func hashSource(s string) string {
	sum := sha256.Sum256(bytes.TrimSpace([]byte(s)))
	return hex.EncodeToString(sum[:])
}

// whereLine returns "file:line" of the Lua code that called the current Go
// function (level 1).
func whereLine(L *lua.LState) string {
	return strings.TrimSuffix(L.Where(1), ":")
}
