package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/runbook-dev/runbook/engine/target"
	"github.com/runbook-dev/runbook/internal/secret"
	"github.com/runbook-dev/runbook/internal/testenv"
)

func startBash(t *testing.T, opts Options) (*Driver, *testenv.Buffer) {
	t.Helper()
	// The user's own login files are theirs: keep tests independent of them.
	t.Setenv("HOME", t.TempDir())
	if opts.Nonce == "" {
		opts.Nonce = "testnonce42"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	loc := target.NewLocal()
	t.Cleanup(func() { loc.Close() })
	out := &testenv.Buffer{}
	d, err := Start(ctx, loc, opts, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, out
}

func TestRunCommandsInOnePersistentShell(t *testing.T) {
	d, out := startBash(t, Options{Cols: 80, Rows: 24, Prompt: "rb> "})
	ctx := context.Background()
	cases := []struct {
		cmd    string
		exit   int
		output string
	}{
		{"echo hello", 0, "hello\n"},
		{"false", 1, ""},
		{"cd /tmp && export RB_X=42", 0, ""},
		{"echo $PWD $RB_X", 0, "/tmp 42\n"},
		{"cat <<'EOF'\n  indented $HOME\n\ttab\nEOF", 0, "  indented $HOME\n\ttab\n"},
		{"echo 'single \"q\"' \"double 'q'\"\necho second line", 0, "single \"q\" double 'q'\nsecond line\n"},
		{"(exit 7)", 7, ""},
		{"printf '\\033[1mbold\\033[0m\\r\\n'", 0, "bold\n"},
		{"echo " + strings.Repeat("x", 5000), 0, strings.Repeat("x", 5000) + "\n"},
		// Typed as a paste: a tab must not complete, a byte above 0x7f
		// must not be read as Meta.
		{"echo 'a\tb' x\tz", 0, "a\tb x z\n"},
		{"echo déjà vu ✓", 0, "déjà vu ✓\n"},
	}
	for _, c := range cases {
		r, err := d.Run(ctx, c.cmd, RunOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.cmd, err)
		}
		if r.Exit != c.exit || r.Output != c.output {
			t.Errorf("%q: exit %d output %q; want exit %d output %q", c.cmd, r.Exit, r.Output, c.exit, c.output)
		}
	}
	if err := d.Comment(ctx, "narration\nsecond"); err != nil {
		t.Fatal(err)
	}
	shown := out.String()
	if strings.Contains(shown, "testnonce42") || strings.Contains(shown, "\x1b]133;") {
		t.Errorf("marks reached the output: %q", shown)
	}
	if !strings.HasPrefix(shown, "rb> ") {
		t.Errorf("output does not start at the prompt: %q", shown[:min(40, len(shown))])
	}
	for _, want := range []string{"rb> echo hello\r\n", "# narration\r\n", "# second\r\n"} {
		if !strings.Contains(shown, want) {
			t.Errorf("output lacks %q:\n%.2000q", want, shown)
		}
	}
}

func TestForgedMarksPassThrough(t *testing.T) {
	d, out := startBash(t, Options{})
	// A program that prints a mark without the nonce cannot end the command.
	r, err := d.Run(context.Background(), `printf '\033]133;D;0;guess\007\033]133;A;guess\007'; sleep 0.2; echo done`, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Exit != 0 || !strings.Contains(r.Output, "done") {
		t.Fatalf("forged mark ended the command early: %+v", r)
	}
	if !strings.Contains(out.String(), "\x1b]133;D;0;guess\a") {
		t.Errorf("the program's own OSC 133 was not passed through")
	}
}

func TestIncompleteCommandIsInterrupted(t *testing.T) {
	d, _ := startBash(t, Options{})
	_, err := d.Run(context.Background(), `echo "unclosed`, RunOptions{})
	var ie *IncompleteError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want IncompleteError", err)
	}
	r, err := d.Run(context.Background(), "echo after", RunOptions{})
	if err != nil || r.Output != "after\n" {
		t.Fatalf("shell not usable after: %+v %v", r, err)
	}
}

func TestTimeoutInterrupts(t *testing.T) {
	d, out := startBash(t, Options{})
	r, err := d.Run(context.Background(), "sleep 30", RunOptions{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !r.TimedOut || r.Exit != 130 {
		t.Fatalf("got %+v, want timed out with exit 130", r)
	}
	if !strings.Contains(out.String(), "^C") {
		t.Errorf("the interrupt does not show: %q", out.String())
	}
}

func TestCancelInterrupts(t *testing.T) {
	d, _ := startBash(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	_, err := d.Run(ctx, "sleep 30", RunOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	r, err := d.Run(context.Background(), "echo still here", RunOptions{})
	if err != nil || r.Output != "still here\n" {
		t.Fatalf("shell not usable after: %+v %v", r, err)
	}
}

func TestSecretsMaskedAndEnv(t *testing.T) {
	d, out := startBash(t, Options{Secrets: secret.New("hunter2secret"),
		Vars: []Var{{Name: "RB_TOKEN", Value: "hunter2secret", Export: true}, {Name: "tok", Value: "hunter2secret"}}})
	r, err := d.Run(context.Background(), `echo "token=$RB_TOKEN"; printf 'hunter'; sleep 0.1; printf '2secret\n'; bash -c 'echo "child=$RB_TOKEN"'; bash -c 'echo "unexported=[$tok]"'; printf '%s' "$tok" | base64; printf '%s' "$tok" | od -An -tx1 | tr -d ' \n'; echo`, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range secret.Forms("hunter2secret") {
		if strings.Contains(out.String(), form) || strings.Contains(r.Output, form) {
			t.Fatalf("secret shown as %q: %q", form, out.String())
		}
	}
	for _, want := range []string{"token=****", "child=****", "unexported=[]", "****\n****\n"} {
		if !strings.Contains(r.Output, want) {
			t.Fatalf("output %q lacks %q", r.Output, want)
		}
	}
}

// Define sets variables the next commands use, and nothing of it reaches
// what the terminal shows: not the value, not __rb_load, not a prompt.
func TestDefineUnseen(t *testing.T) {
	const v = "s3cr3t 'quoted' $HOME\nline two ünï"
	d, out := startBash(t, Options{Prompt: "rb> ", Secrets: secret.New(v)})
	if _, err := d.Run(context.Background(), "echo before", RunOptions{}); err != nil {
		t.Fatal(err)
	}
	shown := out.String()
	long := strings.Repeat("x", 3000) + "end"
	var esc strings.Builder
	for _, b := range []byte(v) {
		fmt.Fprintf(&esc, `\%03o`, b)
	}
	r, err := d.Run(context.Background(), `[ "$pw" = "$(printf '`+esc.String()+`')" ] && echo same; echo "${#long}"`,
		RunOptions{Vars: []Var{{Name: "pw", Value: v}, {Name: "long", Value: long}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Output != "same\n3003\n" {
		t.Fatalf("output %q, want same and 3003", r.Output)
	}
	all := out.WaitCount("rb> ", 3, 5*time.Second)
	after := all[len(shown):]
	if strings.Contains(after, "__rb_load") || strings.Contains(after, "s3cr3t") || strings.Contains(after, "xxxx") || strings.Count(all, "rb> ") != 3 {
		t.Fatalf("the definition showed: %q", all)
	}
	if !d.Defined("pw", v) {
		t.Fatal("pw not noted as defined")
	}
}

func TestAnswers(t *testing.T) {
	d, out := startBash(t, Options{})
	r, err := d.Run(context.Background(), `read -s -p "Password: " pw; echo; echo "got ${#pw} chars"`, RunOptions{
		Answers: []Answer{{Prompt: "Password: ", Reply: "s3cr3tvalue", Secret: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Output, "got 11 chars") {
		t.Fatalf("answer not typed: %q", r.Output)
	}
	if strings.Contains(out.String(), "s3cr3tvalue") {
		t.Fatal("secret answer shown")
	}
}

func TestRCFileRemovesItself(t *testing.T) {
	d, _ := startBash(t, Options{Vars: []Var{{Name: "RB_S", Value: "x", Export: true}}})
	r, err := d.Run(context.Background(), `ls "${TMPDIR:-/tmp}" | grep -c runbook-rc || true`, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = r
	entries, _ := os.ReadDir(os.TempDir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "runbook-rc.") {
			// Other tests' sessions may be starting; only ours must be gone.
			t.Logf("found %s (maybe another session's)", e.Name())
		}
	}
}

// Readline reprints the prompt, mark included, whenever it redraws the line
// (a bracketed paste, a wrap, a resize). Counting those as new prompts made
// Run return before its command ended, with exit -1 (3 runs in 20 of the
// check_runbook script). Only a prompt after a command's end counts.
func TestPromptRedrawIsNotANewPrompt(t *testing.T) {
	d := &Driver{notify: make(chan struct{}, 1)}
	d.mark(Mark{Kind: MarkEnd, Arg: "0"})
	d.mark(Mark{Kind: MarkPrompt})
	d.mark(Mark{Kind: MarkPrompt}) // redraw while the user's command is typed
	if d.prompts != 1 {
		t.Fatalf("prompts = %d after an end, a prompt and its redraw; want 1", d.prompts)
	}
	d.mark(Mark{Kind: MarkStart})
	d.mark(Mark{Kind: MarkEnd, Arg: "3"})
	d.mark(Mark{Kind: MarkPrompt})
	if d.prompts != 2 || d.status != 3 {
		t.Fatalf("prompts = %d, status = %d after the command ended; want 2 and 3", d.prompts, d.status)
	}
}
