package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook play".
func runPlay(ctx context.Context, st *IO, args []string) error {
	return errors.New("play: not implemented yet")
}
