package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "status", Summary: "the store, who leads the engine (team database), standbys and each poller's heartbeat (--json)", Run: runStatus})
}

// StatusReport is what `status --json` prints.
type StatusReport struct {
	Backend    string       `json:"backend"`
	Location   string       `json:"location"`
	ChosenBy   string       `json:"chosen_by"`
	Leader     *StatusNode  `json:"leader"`
	Standbys   []StatusNode `json:"standbys"`
	Heartbeats []StatusBeat `json:"heartbeats"`
	// Deliveries counts outbound files per delivery state (pending,
	// delivered, failed, stuck).
	Deliveries map[string]int `json:"deliveries"`
}

// StatusNode is one process attached to the store.
type StatusNode struct {
	Host    string    `json:"host"`
	User    string    `json:"user"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	SeenAt  time.Time `json:"seen_at"`
	Gone    bool      `json:"gone"` // not seen for three heartbeats: probably stopped
}

// StatusBeat is one poller's last attempt and success.
type StatusBeat struct {
	Poller      string    `json:"poller"`
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

func runStatus(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("status", "status [--json]")
	asJSON := fs.Bool("json", false, "one JSON object")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		return fail(env, "status", err)
	}
	defer st.Close()
	choice, _ := connector.ChooseStore(env.Store, loc)
	rep := StatusReport{Backend: st.Backend(), Location: choice.Shown(), ChosenBy: choice.Source}
	nodes, err := st.Nodes(ctx)
	if err != nil {
		return fail(env, "status", err)
	}
	now := time.Now()
	for _, n := range nodes {
		sn := StatusNode{Host: n.Host, User: n.User, PID: n.PID, Command: n.Command, Since: n.Since, SeenAt: n.SeenAt,
			Gone: now.Sub(n.SeenAt) > 3*store.LeaderHeartbeat+5*time.Second}
		if n.Role == "leader" && rep.Leader == nil && !sn.Gone {
			rep.Leader = &sn
		} else if !sn.Gone {
			rep.Standbys = append(rep.Standbys, sn)
		}
	}
	beats, err := st.Heartbeats(ctx)
	if err != nil {
		return fail(env, "status", err)
	}
	for _, b := range beats {
		rep.Heartbeats = append(rep.Heartbeats, StatusBeat{Poller: b.Poller, LastAttempt: b.LastAttempt, LastSuccess: b.LastSuccess, LastError: b.LastError})
	}
	dc, err := st.DeliveryCounts(ctx)
	if err != nil {
		return fail(env, "status", err)
	}
	rep.Deliveries = map[string]int{}
	for _, s := range store.DeliveryStates {
		rep.Deliveries[string(s)] = dc[s]
	}
	if *asJSON {
		_ = json.NewEncoder(env.Stdout).Encode(rep)
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "store:   %s %s (chosen by %s)\n", rep.Backend, rep.Location, rep.ChosenBy)
	if rep.Leader == nil {
		fmt.Fprintln(env.Stdout, "leader:  none: no process runs the flows")
	} else {
		l := rep.Leader
		fmt.Fprintf(env.Stdout, "leader:  %s on %s, pid %d (%s), since %s, seen %s ago\n", l.User, l.Host, l.PID, l.Command,
			l.Since.Local().Format("2006-01-02 15:04:05 MST"), now.Sub(l.SeenAt).Round(time.Second))
	}
	for _, s := range rep.Standbys {
		fmt.Fprintf(env.Stdout, "standby: %s on %s, pid %d (%s), seen %s ago\n", s.User, s.Host, s.PID, s.Command, now.Sub(s.SeenAt).Round(time.Second))
	}
	for _, b := range rep.Heartbeats {
		line := fmt.Sprintf("poller %-10s last attempt %s", b.Poller, b.LastAttempt.Local().Format("2006-01-02 15:04:05 MST"))
		if b.LastError != "" {
			line += ", failing: " + b.LastError
		}
		fmt.Fprintln(env.Stdout, line)
	}
	fmt.Fprintf(env.Stdout, "deliveries: %d pending, %d delivered, %d failed, %d stuck\n", rep.Deliveries["pending"],
		rep.Deliveries["delivered"], rep.Deliveries["failed"], rep.Deliveries["stuck"])
	return ExitOK
}
