package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
)

func init() {
	Register(Command{Name: "run", Summary: "run the flows on their schedules until SIGTERM (headless daemon)", Run: runDaemon})
}

// runDaemon runs the scheduler. On SIGTERM/SIGINT (ctx cancelled by main)
// it stops scheduling, lets the step in progress finish and be recorded,
// and exits 0.
func runDaemon(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("run", "run [--secrets-dir DIR] [--sync-now]")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	now := fs.Bool("sync-now", true, "run every flow once at start, then follow the schedules")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	out := &syncWriter{w: env.Stdout}
	release, err := lockEngine(env, "run")
	if err != nil {
		fmt.Fprintf(env.Stderr, "run: %v\n", err)
		return ExitFailure
	}
	defer release()
	bus := events.NewBus()
	a, err := openEngine(ctx, env, *secDir, bus)
	if err != nil {
		fmt.Fprintf(env.Stderr, "run: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Runs get a context SIGTERM does not cancel: Drain stops them between
	// steps instead, so nothing is cut in the middle of a remote call.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	sched := engine.NewScheduler(a.eng)
	if err := sched.Start(runCtx); err != nil {
		fmt.Fprintf(env.Stderr, "run: %v\n", err)
		return ExitFailure
	}
	sub := bus.Subscribe(events.RunFinished|events.ExceptionRaised|events.HeartbeatStale, 0)
	defer sub.Unsubscribe()
	go func() {
		for ev := range sub.C() {
			switch d := ev.Data.(type) {
			case events.RunData:
				fmt.Fprintf(out, "%s %s run %d: %d ok, %d exceptions %s\n", ev.Time.Format(time.RFC3339), d.Flow, d.RunID, d.OK, d.Failed, d.Err)
			case events.ExceptionData:
				logger.Warn("exception", "reason", d.Reason, "message", d.Message)
			case events.HeartbeatData:
				logger.Error("poller stale", "poller", d.Poller, "for", d.StaleFor)
			}
		}
	}()
	if *now {
		sched.SyncNow()
	}
	fmt.Fprintln(out, "running; stop with SIGTERM or Ctrl+C")
	<-ctx.Done()
	fmt.Fprintln(out, "stopping after the current step")
	a.eng.Drain()
	stopped := sched.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(2 * time.Minute):
		cancelRuns() // a remote call hung: give up on it
		<-stopped.Done()
	}
	return ExitOK
}

// syncWriter serialises writes from the event printer and the main goroutine.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
