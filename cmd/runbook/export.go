package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook export".
func runExport(ctx context.Context, st *IO, args []string) error {
	return errors.New("export: not implemented yet")
}
