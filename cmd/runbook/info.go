package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook info".
func runInfo(ctx context.Context, st *IO, args []string) error {
	return errors.New("info: not implemented yet")
}
