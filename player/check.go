package player

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/runbook-dev/runbook/internal/linediff"
	"github.com/runbook-dev/runbook/recording"
)

// Plan is what the runbook says about the recording now, as plain data
// (the CLI replays the runbook with the engine, which the player must not
// import, and hands over what the replay found).
type Plan struct {
	Path string
	// Normalize are the runbook's own patterns (regexps) to blank out.
	Normalize []string
	// Stale are the replay's differences (failures, kind "stale"); Notes
	// what it could not follow and says (never failures).
	Stale []Finding
	Notes []Finding
}

// CheckOptions say what to check beyond soundness.
type CheckOptions struct {
	Plan *Plan // nil: soundness and gaps only
	// Golden is the screens golden path ("" : NAME.screens.txt beside the
	// recording; checked when the recording has an index with commands).
	Golden string
	Update bool // rewrite the golden instead of comparing
}

// Finding is one thing check found.
type Finding struct {
	Step     int    // 0 when not about a step
	StepName string // "" when not about a step
	// Kind: "damaged", "problem", "gap", "stale", "commands", "failed",
	// "exit", "expect", "screens"; notes (never failures): "skipped" (a
	// step or command skipped on purpose) and "edited" (a command changed
	// at the step prompt).
	Kind string
	Msg  string
}

func (f Finding) String() string {
	if f.Step > 0 {
		return fmt.Sprintf("step %d %q: %s: %s", f.Step, f.StepName, f.Kind, f.Msg)
	}
	return fmt.Sprintf("%s: %s", f.Kind, f.Msg)
}

// Report is the outcome of Check.
type Report struct {
	Failures []Finding
	Notes    []Finding
	// GoldenWritten is set when Update wrote the golden.
	GoldenWritten string
}

// OK reports whether the recording passed.
func (r *Report) OK() bool { return len(r.Failures) == 0 }

func (r *Report) note(step *recording.Step, kind, format string, a ...any) {
	r.Notes = append(r.Notes, Finding{Step: step.N, StepName: step.Name, Kind: kind, Msg: fmt.Sprintf(format, a...)})
}

func (r *Report) fail(step *recording.Step, kind, format string, a ...any) {
	f := Finding{Kind: kind, Msg: fmt.Sprintf(format, a...)}
	if step != nil {
		f.Step, f.StepName = step.N, step.Name
	}
	r.Failures = append(r.Failures, f)
}

// GoldenPath names the screens golden of a recording: NAME.screens.txt
// beside NAME.ttyrec.
func GoldenPath(rec string) string {
	base := strings.TrimSuffix(rec, ".gz")
	if recording.FormatOf(rec) != "" {
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	return base + ".screens.txt"
}

// Check verifies a recording: sound, no gap over its idle limit, and with
// a plan: not stale, every step ended as the runbook expects, and the
// screens golden matches.
func Check(ctx context.Context, rec *Recording, opt CheckOptions) (*Report, error) {
	rep := &Report{}
	if rec.Damage != nil {
		rep.fail(nil, "damaged", "%v", rec.Damage)
	}
	for _, p := range rec.Problems {
		rep.fail(nil, "problem", "%v", p)
	}
	if n := rec.ProblemCount - len(rec.Problems); n > 0 {
		rep.fail(nil, "problem", "and %d more problems (runbook info lists them)", n)
	}
	limit := rec.Header.IdleLimit
	if rec.Index != nil && rec.Index.IdleLimit > 0 {
		limit = rec.Index.IdleLimit.Duration()
	}
	if limit > 0 {
		for _, g := range rec.Gaps {
			// Stamps are kept to the microsecond: allow that much.
			if g.Len > limit+time.Millisecond {
				rep.fail(stepAt(rec, g.At), "gap", "%.3f s without output at %s, over the idle limit of %s",
					g.Len.Seconds(), fmtAt(g.At), limit)
			}
		}
	}
	ix := rec.Index
	if ix != nil && ix.Hand != nil && len(ix.Steps) == 0 {
		// Typed by hand (runbook rec): no runbook made it.
		rep.Notes = append(rep.Notes, Finding{Kind: "by hand", Msg: fmt.Sprintf(
			"%s was typed by hand (runbook rec): checked for soundness and gaps; there is no runbook to replay (runbook draft writes one)", rec.Path)})
		return rep, nil
	}
	if ix == nil || len(ix.Steps) == 0 {
		// Made by another tool, or without its index: there is nothing
		// to replay the runbook against.
		rep.Notes = append(rep.Notes, Finding{Kind: "soundness only", Msg: fmt.Sprintf(
			"%s has no index with steps beside it (%s): checked for soundness only", rec.Path, recording.IndexPath(rec.Path))})
		return rep, nil
	}
	if opt.Plan != nil {
		rep.Failures = append(rep.Failures, opt.Plan.Stale...)
		rep.Notes = append(rep.Notes, opt.Plan.Notes...)
	}
	if ix != nil && len(ix.Steps) > 0 {
		norm, err := NewNormalizer(nil)
		if opt.Plan != nil {
			norm, err = NewNormalizer(opt.Plan.Normalize)
		}
		if err != nil {
			return nil, fmt.Errorf("runbook normalize pattern: %w", err)
		}
		if err := checkOutcomes(rep, rec, norm); err != nil {
			return nil, err
		}
		if err := checkGolden(ctx, rep, rec, norm, opt); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func fmtAt(t time.Duration) string { return t.Round(time.Millisecond).String() }

func stepAt(rec *Recording, t time.Duration) *recording.Step {
	if rec.Index == nil {
		return nil
	}
	for i := range rec.Index.Steps {
		s := &rec.Index.Steps[i]
		if s.Start.Duration() <= t && t <= s.End.Duration() {
			return s
		}
	}
	return nil
}

// checkOutcomes checks each step ended as the runbook expects: status,
// exit statuses, and expected texts in the command's output.
func checkOutcomes(rep *Report, rec *Recording, norm *Normalizer) error {
	for i := range rec.Index.Steps {
		s := &rec.Index.Steps[i]
		switch s.Status {
		case recording.StatusSkipped:
			rep.Notes = append(rep.Notes, Finding{Step: s.N, StepName: s.Name, Kind: "skipped", Msg: orDefault(s.Reason, "skipped on purpose")})
			continue
		case recording.StatusFailed:
			rep.fail(s, "failed", "%s", orDefault(s.Reason, "the step failed when recorded"))
		}
		for ci, c := range s.Commands {
			if c.Skipped {
				// Skipped at the step prompt (n) or not run in a dry run:
				// on purpose, so no exit status or output to check.
				rep.note(s, "skipped", "`%s` skipped on purpose: not run when recorded", c.Text)
				continue
			}
			if c.EditedFrom != "" {
				rep.note(s, "edited", "`%s` ran, edited at the step prompt from the runbook's `%s`", c.Text, c.EditedFrom)
			}
			// A failed attempt followed by the same command again was
			// retried (the runbook asked for retries): the last one counts.
			if ci+1 < len(s.Commands) && s.Commands[ci+1].Text == c.Text && s.Commands[ci+1].Op == c.Op {
				continue
			}
			ok := c.OK
			if len(ok) == 0 {
				ok = []int{0}
			}
			if !slices.Contains(ok, c.Exit) {
				rep.fail(s, "exit", "`%s` exited %d, expected %v", c.Text, c.Exit, ok)
			}
			if len(c.Expect) == 0 {
				continue
			}
			out, err := rec.outputBetween(c.Start.Duration(), c.End.Duration())
			if err != nil {
				return err
			}
			text := squeeze(norm.Apply(PlainText(out)))
			for _, want := range c.Expect {
				if !strings.Contains(text, squeeze(norm.Apply(want))) {
					rep.fail(s, "expect", "`%s`: %q not in its output", c.Text, want)
				}
			}
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// outputBetween returns the output bytes of events with from ≤ time ≤ to.
func (r *Recording) outputBetween(from, to time.Duration) ([]byte, error) {
	var out []byte
	ev := r.EventsFrom()
	for {
		e, err := ev.Next()
		if err != nil {
			if errors.Is(err, fs.ErrClosed) {
				return nil, err
			}
			break
		}
		if e.Time > to {
			break
		}
		if e.Time >= from && e.Kind == recording.Output {
			out = append(out, e.Data...)
		}
	}
	return out, nil
}

// Screens returns the screens golden text: the screen after each command,
// normalised, under a heading naming step and command.
func (r *Recording) Screens(ctx context.Context, norm *Normalizer) (string, error) {
	var b strings.Builder
	tl := r.Timeline()
	for _, s := range r.Index.Steps {
		for _, c := range s.Commands {
			if c.Skipped {
				continue
			}
			if err := tl.Seek(ctx, c.End.Duration()); err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "=== step %d %s: %s\n", s.N, s.Name, c.Text)
			b.WriteString(strings.TrimRight(norm.Apply(tl.Screen().Text()), "\n"))
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

func checkGolden(ctx context.Context, rep *Report, rec *Recording, norm *Normalizer, opt CheckOptions) error {
	path := opt.Golden
	if path == "" {
		path = GoldenPath(rec.Path)
	}
	got, err := rec.Screens(ctx, norm)
	if err != nil {
		return err
	}
	if opt.Update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			return fmt.Errorf("write screens golden: %w", err)
		}
		rep.GoldenWritten = path
		return nil
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		rep.fail(nil, "screens", "no screens golden %s: run runbook check --update to write it", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read screens golden: %w", err)
	}
	if string(want) == got {
		return nil
	}
	// Compare section by section, so the diff names the step.
	ws, gs := sections(string(want)), sections(got)
	for i := 0; i < max(len(ws), len(gs)); i++ {
		var w, g section
		if i < len(ws) {
			w = ws[i]
		}
		if i < len(gs) {
			g = gs[i]
		}
		if w == g {
			continue
		}
		title := g.title
		if title == "" {
			title = w.title
		}
		rep.Failures = append(rep.Failures, Finding{Kind: "screens",
			Msg: fmt.Sprintf("%s (%s): screen differs (- golden, + recording):\n%s", strings.TrimPrefix(title, "=== "), path,
				diffLines(strings.Split(w.body, "\n"), strings.Split(g.body, "\n")))})
	}
	return nil
}

type section struct{ title, body string }

func sections(s string) []section {
	var out []section
	for _, part := range strings.Split(s, "=== ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		out = append(out, section{"=== " + title, body})
	}
	return out
}

// diffLines is a small line diff: "-" for lines only in a, "+" only in
// b, unchanged lines left out.
func diffLines(a, b []string) string {
	if slices.Equal(a, b) {
		return ""
	}
	n, m := len(a), len(b)
	if n*m > 4_000_000 {
		return fmt.Sprintf("  (%d lines → %d lines)\n", n, m)
	}
	var out strings.Builder
	for _, e := range linediff.Lines(a, b) {
		if e.Kind != ' ' {
			fmt.Fprintf(&out, "  %c %s\n", e.Kind, e.Text)
		}
	}
	return out.String()
}

// CommandOutput is what a command printed between its start and end, as
// near as the terminal output tells: plain text without the echoed
// command line and the prompt after it. For replaying older indexes,
// which do not keep outputs.
func (r *Recording) CommandOutput(from, to time.Duration) string {
	out, err := r.outputBetween(from, to)
	if err != nil {
		return ""
	}
	text := strings.ReplaceAll(PlainText(out), "\r", "")
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	} else {
		return ""
	}
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i+1] // the prompt line after it
	} else {
		text = ""
	}
	return text
}
