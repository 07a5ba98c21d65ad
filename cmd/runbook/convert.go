package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook convert".
func runConvert(ctx context.Context, st *IO, args []string) error {
	return errors.New("convert: not implemented yet")
}
