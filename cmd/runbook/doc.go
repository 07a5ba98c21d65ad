package main

import (
	"context"
	"errors"
)

// PENDING: replaced by the issue that implements "runbook doc".
func runDoc(ctx context.Context, st *IO, args []string) error {
	return errors.New("doc: not implemented yet")
}
