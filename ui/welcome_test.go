package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/connections"
)

// deskDatabase is a desk on its own file that was never set up.
type deskDatabase struct{}

func (deskDatabase) Database(context.Context) (connections.DatabaseChoice, error) {
	return connections.DatabaseChoice{Location: "/home/ann/.local/share/ml-connector/ml-connector.db", ChosenBy: "data dir"}, nil
}
func (deskDatabase) TestTeam(context.Context, string, string) (string, bool, error) {
	return "", false, nil
}
func (deskDatabase) UseTeam(context.Context, string, string, bool) error { return nil }
func (deskDatabase) UseDesk(context.Context) error                       { return nil }

// On a desk's first start the app asks where its work will live, once:
// "team database" opens Connections with the team database chosen on the
// Database card; the question is not asked again; the demo (no Database
// source) never asks.
func TestWelcomeAsksOnceAndLeadsToTheChoice(t *testing.T) {
	u, _, _, run, _, _ := newUI(t, true)
	u.Welcome()
	if u.Welcoming() {
		t.Fatal("asked without a Database source (the demo)")
	}

	u2, _, w, run2 := newUIWithDatabase(t)
	_ = run
	u2.Welcome()
	if !u2.Welcoming() {
		t.Fatal("first start: no welcome")
	}
	if o := w.Canvas().Overlays().Top(); o == nil {
		t.Fatal("the welcome is not on screen")
	}
	u2.WelcomeChoose(true)
	run2.Drain()
	if u2.Welcoming() || u2.Selected() != ui.ScreenConnections || u2.Connections.DatabaseChosen() != connections.TeamDB {
		t.Fatalf("after 'team database': welcoming %v, screen %d, card %q", u2.Welcoming(), u2.Selected(), u2.Connections.DatabaseChosen())
	}
	if !strings.Contains(u2.StatusText(), "team database") {
		t.Fatalf("status %q", u2.StatusText())
	}
	u2.Welcome()
	if u2.Welcoming() {
		t.Fatal("asked a second time")
	}
}

// The window title carries the open-exception count (the taskbar shows it).
func TestTitleCountsOpenExceptions(t *testing.T) {
	_, _, w, _, _, _ := newUI(t, true)
	if got := w.Title(); got != "ml-connector — 12 open exceptions" {
		t.Fatalf("title %q", got)
	}
}
