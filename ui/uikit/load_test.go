package uikit

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Only the newest request's answer is applied, whatever order the answers
// come in; a cancelled app context applies nothing.
func TestLoadNewestWins(t *testing.T) {
	test.NewTempApp(t)
	run := NewManualRunner()
	l := NewLoader(context.Background(), run)
	var applied []string
	fetch := func(v string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return v, nil }
	}
	apply := func(v string, err error) { applied = append(applied, v) }
	Load(l, fetch("A"), apply)
	Load(l, fetch("B"), apply)
	run.Drain() // A answers first, then B
	if len(applied) != 1 || applied[0] != "B" {
		t.Fatalf("applied %v, want only B", applied)
	}
	// B answering before A: A is still dropped.
	applied = nil
	gate := make(chan struct{})
	goRun := NewRunner()
	l2 := NewLoader(context.Background(), goRun)
	doneB := make(chan struct{})
	Load(l2, func(context.Context) (string, error) { <-gate; return "A", nil }, apply)
	Load(l2, fetch("B"), func(v string, err error) { apply(v, err); close(doneB) })
	<-doneB
	close(gate)
	goRun.Drain()
	if len(applied) != 1 || applied[0] != "B" {
		t.Fatalf("applied %v after A answered last, want only B", applied)
	}
	// Quitting: nothing applied, the fetch saw the cancelled context.
	ctx, quit := context.WithCancel(context.Background())
	l3 := NewLoader(ctx, run)
	var sawCancel bool
	Load(l3, func(ctx context.Context) (string, error) {
		sawCancel = ctx.Err() != nil
		return "", ctx.Err()
	}, func(string, error) { t.Fatal("applied after quitting") })
	quit()
	run.Drain()
	if !sawCancel {
		t.Fatal("the fetch did not get the app's context")
	}
}

// Errors carry the advice for their kind after what was being done.
func TestErrorTextAdvises(t *testing.T) {
	if got := errorText("load", errors.New("database is locked")); got != "Could not load: database is locked" {
		t.Fatalf("unclassified: %q", got)
	}
	got := errorText("save", kindErr{})
	if got != "Could not save: 403\nNot allowed: ask the administrator for the grant or role named above." {
		t.Fatalf("forbidden: %q", got)
	}
}

type kindErr struct{}

func (kindErr) Error() string               { return "403" }
func (kindErr) ErrorKind() domain.ErrorKind { return domain.KindForbidden }
