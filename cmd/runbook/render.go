package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook render".
func runRender(ctx context.Context, st *IO, args []string) error {
	return errors.New("render: not implemented yet")
}
