package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/runbook-dev/runbook/engine"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/spf13/pflag"
)

// Parameters: --set (-e), --set-file, RUNBOOK_PARAM_<NAME> and asking at
// the terminal; secret ones above all given without leaving a trace:
// RUNBOOK_PARAM_<NAME> in the environment, --set-file NAME=PATH (- for
// standard input), asked at the terminal without echo; --set still works
// and warns that a secret given so is in the process list. Everything
// the command prints goes through a writer that masks every secret the
// run knows of.

const paramsHelp = `
Parameters: --set name=value, RUNBOOK_PARAM_<NAME>=value in the environment
(the name upper-cased), or --set-file name=FILE (the file's content, its
trailing newline dropped; - reads standard input). A required parameter
left out is asked at the terminal (secrets without echo). Give secrets by
the environment or a file: a --set value is seen by every user of the
machine in the process list. Secrets are masked as **** in everything
runbook writes or prints, and typed commands refer to them as shell
variables (${name}) that the session defines out of sight.`

// addSetFileFlag registers --set-file.
func addSetFileFlag(fs *pflag.FlagSet, p *[]string) {
	fs.StringArrayVar(p, "set-file", nil, "set a runbook parameter from a file: `name=PATH` (- for standard input; repeatable)")
}

// paramValues merges --set and --set-file into the parameters' values and
// notes which were given on the command line; a name given twice is an
// error.
func paramValues(st *IO, set, files []string) (map[string]string, map[string]bool, error) {
	values, err := parseSet(set)
	if err != nil {
		return nil, nil, err
	}
	visible := map[string]bool{}
	for k := range values {
		visible[k] = true
	}
	stdinUsed := false
	for _, kv := range files {
		k, path, ok := strings.Cut(kv, "=")
		if !ok || k == "" || path == "" {
			return nil, nil, usagef("--set-file %q: want name=PATH (- for standard input)", kv)
		}
		if _, dup := values[k]; dup {
			return nil, nil, usagef("--set-file %s: parameter %s is given twice", kv, k)
		}
		var b []byte
		if path == "-" {
			if stdinUsed {
				return nil, nil, usagef("--set-file %s: standard input is read once, for one parameter", kv)
			}
			stdinUsed = true
			b, err = io.ReadAll(st.In)
		} else {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, nil, usagef("--set-file %s: %v", k, err)
		}
		v := strings.TrimSuffix(string(b), "\n")
		values[k] = strings.TrimSuffix(v, "\r")
	}
	return values, visible, nil
}

// withSecrets gives opts a secret set, the environment and a warning for
// secrets given with --set, and returns st with its output masked by it.
func withSecrets(st *IO, opts *engine.Options, visible map[string]bool) *IO {
	set := &secret.Set{}
	opts.Secrets = set
	opts.LookupEnv = os.LookupEnv
	opts.Visible = visible
	var once sync.Once
	masked := &IO{In: st.In, TTY: st.TTY, Out: secret.NewWriter(st.Out, set), Err: secret.NewWriter(st.Err, set)}
	opts.Warn = func(msg string) { once.Do(func() { fmt.Fprintln(masked.Err, msg) }) }
	return masked
}

// maskedSudo makes the sudo password a secret of set as soon as it is known.
func maskedSudo(set *secret.Set, f func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		pw, err := f(ctx)
		if err == nil {
			set.Add("sudo_password", pw)
		}
		return pw, err
	}
}

// addSetFlag registers --set, with Ansible's -e and --extra-vars for it.
func addSetFlag(fs *pflag.FlagSet, set *[]string) {
	fs.StringArrayVarP(set, "set", "e", nil, "set a runbook parameter: `name=value` (repeatable; -e as in Ansible)")
	aliasFlag(fs, "extra-vars", "set", "")
}

// parseSet reads --set name=value pairs.
func parseSet(pairs []string) (map[string]string, error) {
	set := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--set %q: want name=value", kv)
		}
		set[k] = v
	}
	return set, nil
}

// asker asks for missing parameters at the terminal; nil without one.
func asker(st *IO) engine.Asker {
	if st.TTY == nil {
		return nil
	}
	return func(p *engine.Param) (string, error) {
		doc := ""
		if p.Doc != "" {
			doc = " (" + p.Doc + ")"
		}
		return askTTY(st, p.Name+doc+": ", !p.Secret)
	}
}
