package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "run", Summary: "run the flows on their schedules until SIGTERM (headless daemon)", Run: runDaemon})
}

// runDaemon runs the scheduler. On SIGTERM/SIGINT (ctx cancelled by main)
// it stops scheduling, lets the step in progress finish and be recorded,
// and exits 0.
func runDaemon(ctx context.Context, env *Env, args []string) int {
	// Started by the Windows service control manager: the same daemon, its
	// context cancelled by the SCM's Stop/Shutdown instead of SIGTERM.
	// 'service install' marks the command line with --windows-service, as
	// the SCM's own tell-tale (a parent services.exe in session 0) is not
	// what Wine shows.
	args, marked := cutFlag(args, "windows-service")
	if code, asService := runAsService(ctx, env, marked, func(ctx context.Context) int { return runDaemonIn(ctx, env, args) }); asService {
		return code
	}
	return runDaemonIn(ctx, env, args)
}

// cutFlag removes a boolean flag (-name or --name) from args.
func cutFlag(args []string, name string) ([]string, bool) {
	out := make([]string, 0, len(args))
	found := false
	for _, a := range args {
		if a == "-"+name || a == "--"+name {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

func runDaemonIn(ctx context.Context, env *Env, args []string) int {
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
	// One engine per team: on a team database the flows run only while this
	// process holds the leader lock; until then it stands by. (On SQLite the
	// data dir's engine lock above already decided, and this returns at once.)
	lead, err := a.st.Lead(ctx, store.ThisNode(osUser(), "run"), func(leader string) {
		fmt.Fprintf(out, "standby: the team's engine runs at %s; taking over if it stops\n", leader)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ExitOK // stopped while standing by
		}
		fmt.Fprintf(env.Stderr, "run: %v\n", err)
		return ExitFailure
	}
	defer lead.Release()
	if a.st.Backend() == "postgres" {
		fmt.Fprintf(out, "leading the team's engine on %s\n", a.st.Path())
	}
	// Runs get a context SIGTERM does not cancel: Drain stops them between
	// steps instead, so nothing is cut in the middle of a remote call.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	// On a team database every desk hears what this engine does: relayed
	// through the database from before the first flow can publish.
	origin := store.ThisNode(osUser(), "run").Host + " (run)"
	if a.st.Backend() == "postgres" {
		engine.RelayToTeam(runCtx, bus, a.st, origin, logger)
	}
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
	// The leader executes what clerks ask from other desks (team database).
	go a.eng.ServeRequests(runCtx, sched, origin)
	if *now {
		sched.SyncNow()
	}
	fmt.Fprintln(out, "running; stop with SIGTERM or Ctrl+C")
	// Also in the log file: a Windows service has no console to print to.
	logger.Info("daemon running", "store", a.st.Path(), "pid", os.Getpid())
	code := ExitOK
	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "stopping after the current step")
	case <-lead.Lost():
		// The connection holding the leader lock failed: a standby takes
		// over as soon as the server notices, so stop at once and exit
		// non-zero (systemd's Restart= brings this process back as a standby).
		fmt.Fprintln(out, "lost the team database connection that made this process the leader: stopping the flows")
		code = ExitFailure
	}
	a.eng.Drain()
	stopped := sched.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(2 * time.Minute):
		cancelRuns() // a remote call hung: give up on it
		<-stopped.Done()
	}
	logger.Info("daemon stopped", "exit", code)
	return code
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
