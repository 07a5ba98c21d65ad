package stdlib

// What the stdlib knows of files between operations, on a Host that says
// when a command is about to run (CommandNotifier). A file read through
// the side channel stays known until the next command; a file an operation
// changed is known as the operation left it, and is read back (proof that
// the command did exactly that) before the next command of any other kind,
// at the end of the step, or — for a run of edits to the same file — once
// after the last of them.

// readBack is an operation's result still to be read back.
type readBack struct {
	want    fstate
	anyMode bool
	name    string // "file.line"
	target  string
	pos     string // the runbook's file:line of the operation
}

// known returns what is known of p without reading it, or nil.
func (m *Modules) known(p string) *fstate {
	if !m.notified {
		return nil
	}
	if st, ok := m.cache[p]; ok {
		c := *st
		c.content = append([]byte(nil), st.content...)
		return &c
	}
	return nil
}

// remember keeps st as the known state of its path until the next command.
func (m *Modules) keep(st *fstate) {
	if !m.notified {
		return
	}
	c := *st
	c.content = append([]byte(nil), st.content...)
	m.cache[st.path] = &c
}

// beforeCommand runs before every command typed into the session: every
// pending read-back but the one of the file the stdlib is changing right
// now is done, and what is known of files is forgotten, for the command
// may change them.
func (m *Modules) beforeCommand() {
	keep := m.changing
	m.readBackAll(keep)
	for p := range m.cache {
		if p != keep {
			delete(m.cache, p)
		}
	}
}

// readBackAll reads back every pending result but the one of path keep,
// raising the first mismatch as the runbook error of the operation that
// made it.
func (m *Modules) readBackAll(keep string) {
	for p, rb := range m.readBacks {
		if p == keep {
			continue
		}
		delete(m.readBacks, p)
		o := m.newOp(m.L, rb.name, rb.target)
		o.pos = rb.pos
		o.checkResult(&rb.want, rb.anyMode)
	}
}

// changed records what an operation left at want.path: read back now,
// or later on a Host that says when commands run.
func (o *op) changed(want *fstate, anyMode bool) {
	if o.skipped {
		delete(o.m.cache, want.path)
		return
	}
	if !o.m.notified {
		o.checkResult(want, anyMode)
		return
	}
	o.m.keep(want)
	o.m.readBacks[want.path] = &readBack{want: *want, anyMode: anyMode, name: o.name, target: o.target, pos: o.L.Where(1)}
}
