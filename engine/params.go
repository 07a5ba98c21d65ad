package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// Asker asks the user for a parameter's value at a terminal (hidden input
// when secret). nil means there is no terminal: a missing parameter is an
// error naming it.
type Asker func(p *Param) (string, error)

// resolveParams gives every declared parameter its value and publishes
// them as the global table params.
func (r *runner) resolveParams(L *lua.LState) error {
	rb := r.rb
	for name := range r.opts.Set {
		found := false
		for _, p := range rb.Params {
			found = found || p.Name == name
		}
		if !found {
			return fmt.Errorf("--set %s: the runbook has no parameter %q%s", name, name, paramList(rb.Params))
		}
	}
	tb := L.NewTable()
	for _, p := range rb.Params {
		v, given := r.opts.Set[p.Name]
		if !given && r.opts.LookupEnv != nil {
			v, given = r.opts.LookupEnv(EnvName(p.Name))
		}
		if given && p.Secret && r.opts.Visible[p.Name] && r.opts.Warn != nil {
			r.opts.Warn(fmt.Sprintf("warning: --set %s: the value of secret parameter %s is visible to every user of this machine in the process list (and may be in your shell's history): give it with %s=... or --set-file %s=FILE instead", p.Name, p.Name, EnvName(p.Name), p.Name))
		}
		switch {
		case given:
		case !p.Required:
			v = p.Default
		case r.opts.Plan:
			v = "<" + p.Name + ">"
		case r.opts.Ask != nil:
			a, err := r.opts.Ask(p)
			if err != nil {
				return fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			v = a
		case p.Secret:
			return fmt.Errorf("secret parameter %s is required and there is no terminal to ask it at: give it in the environment (%s=VALUE), from a file (--set-file %s=FILE, - for standard input) or, visible in the process list, --set %s=VALUE%s", p.Name, EnvName(p.Name), p.Name, p.Name, docSuffix(p))
		default:
			return fmt.Errorf("parameter %s is required: give it with --set %s=VALUE, %s=VALUE or --set-file %s=FILE%s", p.Name, p.Name, EnvName(p.Name), p.Name, docSuffix(p))
		}
		lv, err := convertParam(p, v)
		if err != nil && !r.opts.Plan {
			return err
		}
		if lv == nil {
			lv = lua.LString(v)
		}
		p.Value = v
		if p.Secret && v != "" {
			r.addSecret(p.Name, v, p.Env)
			if n := utf8.RuneCountInString(v); n < shortSecret && r.opts.Warn != nil {
				r.opts.Warn(fmt.Sprintf("warning: the value of secret parameter %s is shorter than %d characters: it is masked (****) wherever it appears, inside words too, which makes the output hard to read; a secret that short is also easy to guess", p.Name, shortSecret))
			}
		}
		tb.RawSetString(p.Name, lv)
	}
	r.guardParams(L, tb)
	L.SetGlobal("params", tb)
	return nil
}

// shortSecret is the length under which a secret's masking warns: every
// occurrence of a one-letter secret, inside any word, is masked.
const shortSecret = 4

// EnvName is the environment variable that gives parameter name a value:
// RUNBOOK_PARAM_ and the name upper-cased (as Terraform's TF_VAR_).
func EnvName(name string) string {
	return "RUNBOOK_PARAM_" + strings.ToUpper(name)
}

func convertParam(p *Param, v string) (lua.LValue, error) {
	switch p.Type {
	case "number":
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("parameter %s is a number, got %q", p.Name, v)
		}
		return lua.LNumber(n), nil
	case "bool":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "1", "on":
			return lua.LTrue, nil
		case "false", "no", "0", "off", "":
			return lua.LFalse, nil
		}
		return nil, fmt.Errorf("parameter %s is a bool (true/false), got %q", p.Name, v)
	}
	return lua.LString(v), nil
}

func docSuffix(p *Param) string {
	if p.Doc == "" {
		return ""
	}
	return " (" + p.Doc + ")"
}

func paramList(ps []*Param) string {
	if len(ps) == 0 {
		return " (it declares none)"
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return " (it has: " + strings.Join(names, ", ") + ")"
}
