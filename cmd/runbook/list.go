package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook list".
func runList(ctx context.Context, st *IO, args []string) error {
	return errors.New("list: not implemented yet")
}
