package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook run".
func runRun(ctx context.Context, st *IO, args []string) error {
	return errors.New("run: not implemented yet")
}
