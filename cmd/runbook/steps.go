package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook steps".
func runSteps(ctx context.Context, st *IO, args []string) error {
	return errors.New("steps: not implemented yet")
}
