package guide

// Attach adds what the recording shows to the plan: each command's output,
// exit status and prompt where the recorded run typed the same command,
// and which steps it skipped. The plan is the page: it shows the runbook
// with its own defaults, so a command the recorded run typed differently
// (another parameter, a test setting) keeps no output, and what the run
// typed that the plan does not list (a retry's earlier attempts, a probe)
// is not added. A retried command shows its last attempt.
func (p *Plan) Attach(rec map[int]*RecordedStep) {
	for si := range p.Steps {
		st := &p.Steps[si]
		rs := rec[st.N]
		if rs == nil {
			continue
		}
		st.Skipped = rs.Skipped
		var cmds []Recorded
		for _, c := range rs.Commands {
			if c.Skipped {
				continue
			}
			if n := len(cmds); n > 0 && cmds[n-1].Text == c.Text {
				cmds[n-1] = c // a retry: keep the attempt that ended it
				continue
			}
			cmds = append(cmds, c)
		}
		next := 0
		for i := range st.Items {
			it := &st.Items[i]
			if it.Command == "" {
				continue
			}
			for j := next; j < len(cmds); j++ {
				if cmds[j].Text == it.Command {
					c := cmds[j]
					it.Output, it.HasOutput, it.Exit, it.Prompt = c.Output, true, c.Exit, c.Prompt
					next = j + 1
					break
				}
			}
		}
	}
}
