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
}

// Step is one runbook step.
type Step struct {
	N     int
	Name  string
	Items []Item
	// Stopped explains why the listing of the step's commands stops early
	// (its commands depend on what the host says) when there is no
	// recording to read them from.
	Stopped string
	// Skipped is why the recorded run skipped the step, when it did.
	Skipped string
}

// Item is a comment (narration) or a command, in the runbook's order.
type Item struct {
	Comment string
	Command string
	// Output is what the command printed in the recording, when known.
	Output    string
	HasOutput bool
	Exit      int
	// Prompt is where the command ran (user, host and working directory),
	// as the recording's prompt showed it, when known.
	Prompt Prompt
}

// Prompt is the user, host and directory a shell prompt shows.
type Prompt struct{ User, Host, Path string }

// Recording is the recording a page embeds.
type Recording struct {
	// Src is the address the page loads it from (a path or a URL).
	Src  string
	Name string
}
