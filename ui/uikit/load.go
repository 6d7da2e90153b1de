package uikit

import (
	"context"
	"fmt"
	"sync/atomic"

	"fyne.io/fyne/v2"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Loader is one kind of fetch of a screen (its list, its detail pane): the
// fetch runs off the UI goroutine, the result is applied in one fyne.Do,
// and only the newest request's result is applied. A click on document B
// after A shows B, whatever order the two answers arrive in.
type Loader struct {
	r   *Runner
	ctx context.Context
	seq atomic.Int64
}

// NewLoader returns a loader running on r with the app's ctx: when the app
// quits, ctx ends, fetches in flight are cancelled and their results are
// dropped.
func NewLoader(ctx context.Context, r *Runner) *Loader {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Loader{r: r, ctx: ctx}
}

// Load runs fetch with the loader's context off the UI goroutine, then
// apply with its result on the UI goroutine, unless a newer Load on the
// same loader was started meanwhile or the app is quitting.
func Load[T any](l *Loader, fetch func(ctx context.Context) (T, error), apply func(T, error)) {
	n := l.seq.Add(1)
	l.r.Go(func() {
		v, err := fetch(l.ctx)
		if l.ctx.Err() != nil {
			return
		}
		fyne.Do(func() {
			if l.seq.Load() != n {
				return // superseded: a newer request's answer counts
			}
			apply(v, err)
		})
	})
}

// Advice is what to do about a failure of a kind, in the words the
// exception queue uses (domain.KindOf); "" when the error's own text says
// it all (a refused value, an unclassified failure).
func Advice(err error) string {
	switch domain.KindOf(err) {
	case domain.KindAuth:
		return "The sign-in was refused: check the credentials in Connections."
	case domain.KindForbidden:
		return "Not allowed: ask the administrator for the grant or role named above."
	case domain.KindNotFound:
		return "It does not exist (any more): reload the screen."
	case domain.KindConflict:
		return "Someone changed it meanwhile: reload the screen and try again."
	case domain.KindTransient, domain.KindRateLimited:
		return "The system is busy or cannot be reached right now: try again in a minute (syncs retry on their own)."
	case domain.KindConfig:
		return "The connection is not set up: fill it in under Connections."
	}
	return ""
}

// errorText is the in-place text of a failure: what was being done, the
// error, and what to do about its kind.
func errorText(doing string, err error) string {
	t := fmt.Sprintf("Could not %s: %v", doing, err)
	if a := Advice(err); a != "" {
		t += "\n" + a
	}
	return t
}
