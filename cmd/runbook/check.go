package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook check".
func runCheck(ctx context.Context, st *IO, args []string) error {
	return errors.New("check: not implemented yet")
}
