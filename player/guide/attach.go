package guide

// Attach adds what the recording shows to the plan: each command's output,
// exit status and prompt, and the narration as the run wrote it. The
// recording is the truth about what ran: commands the plan could not list
// (computed from what the host said) are added where they ran, and a
// command retried until it passed shows once, with its last attempt.
func (p *Plan) Attach(rec map[int]*RecordedStep) {
	for si := range p.Steps {
		st := &p.Steps[si]
		rs := rec[st.N]
		if rs == nil {
			continue
		}
		// The run is the truth about the step: what the plan could not
		// list either ran (and is added below) or did not.
		stopped := st.Stopped != ""
		st.Stopped = ""
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
		var comments int
		for _, it := range st.Items {
			if it.Comment != "" {
				comments++
			}
		}
		sameComments := comments == len(rs.Comments)
		// A plan that stopped early knows only the narration before the
		// stop; the run said more: keep it, where the listing stopped.
		var extra []string
		if stopped && len(rs.Comments) > comments {
			sameComments, extra = true, rs.Comments[comments:]
		}
		var items []Item
		next, ci := 0, 0
		for _, it := range st.Items {
			if it.Comment != "" {
				if sameComments {
					it.Comment = rs.Comments[ci]
				}
				ci++
				items = append(items, it)
				continue
			}
			k := -1
			for j := next; j < len(cmds); j++ {
				if cmds[j].Text == it.Command {
					k = j
					break
				}
			}
			if k < 0 {
				continue // the plan's guess; the run typed something else
			}
			for _, c := range cmds[next:k] {
				items = append(items, recordedItem(c))
			}
			items = append(items, recordedItem(cmds[k]))
			next = k + 1
		}
		for _, c := range extra {
			items = append(items, Item{Comment: c})
			st.Stopped = ""
		}
		for _, c := range cmds[next:] {
			items = append(items, recordedItem(c))
			st.Stopped = ""
		}
		st.Items = items
	}
}

func recordedItem(c Recorded) Item {
	return Item{Command: c.Text, Output: c.Output, HasOutput: true, Exit: c.Exit, Prompt: c.Prompt}
}
