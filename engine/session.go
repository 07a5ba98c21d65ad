package engine

import (
	"context"
	"time"

	"github.com/runbook-dev/runbook/engine/shell"
)

// liveSession is the executor of a real run: commands go to the shell
// driver; the tee records and shows what the terminal shows.
type liveSession struct {
	d   *shell.Driver
	tee *tee
}

func (s *liveSession) run(ctx context.Context, typed string, o shell.RunOptions) (shell.Result, error) {
	return s.d.Run(ctx, typed, o)
}

func (s *liveSession) comment(ctx context.Context, text string) error {
	return s.d.Comment(ctx, text)
}

func (s *liveSession) elapsed() time.Duration { return s.tee.Elapsed() }
func (s *liveSession) note(text string)       { s.tee.note(text) }
func (s *liveSession) pauser() Pauser         { return s.tee }
