package guide

// Plan is a runbook as the guide shows it.
type Plan struct {
	Name        string // the runbook's short name
	Title       string
	Description string
	// Host is where the runbook runs, for the terminal's title.
	Host string
	// User is the user commands run as ("root" under sudo), or "".
	User  string
	Steps []Step
	// Recording, when set, is embedded at the end of the page.
	Recording *Recording
	// Verified, when set, says at the top of the page what the page was
	// checked on, and what was not exercised there.
	Verified *Verified
}

// Verified is the box a page opens with: where and when a run of the
// runbook was recorded, what that run did not exercise, and where the
// recorded run differed from what the page shows (the runbook's own
// defaults).
type Verified struct {
	Host string // "andromeda"
	OS   string // "Debian GNU/Linux 12 (bookworm)"
	Date string // "2025-06-01"
	// NotExercised and Differs are sentences.
	NotExercised []string
	Differs      []string
	// Set are the parameters the page shows other than the runbook's
	// defaults, as NAME=VALUE.
	Set []string
}

// Step is one runbook step.
type Step struct {
	N     int
	Name  string
	Items []Item
	// Stopped explains why the listing of the step's commands stops early
	// (its commands depend on what the host says).
	Stopped string
	// Skipped is why the recorded run skipped the step, when it did.
	Skipped string
}

// Item is a comment (narration), an intent, or a command, in the
// runbook's order.
type Item struct {
	Comment string
	// Intent is what a stdlib operation makes true; its commands follow.
	Intent  *Intent
	Command string
	// Op is the stdlib operation that types Command ("" for sh()).
	Op string
	// Output is what the command printed in the recording, when known.
	Output    string
	HasOutput bool
	Exit      int
	// Prompt is where the command ran (user, host and working directory),
	// as the recording's prompt showed it, when known.
	Prompt Prompt
}

// Intent is what one stdlib operation makes true.
type Intent struct {
	Op   string
	Text string
	Path string
	// Lines are lines the file has afterwards (a line edit).
	Lines []string
	// Whole: the operation writes Path whole (its command holds the content).
	Whole bool
}

// Prompt is the user, host and directory a shell prompt shows.
type Prompt struct{ User, Host, Path string }

// Recording is the recording a page embeds.
type Recording struct {
	// Src is the address the page loads it from (a path or a URL).
	Src  string
	Name string
}
