package bridge_test

import (
	"context"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/bridge"
	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/documents"
)

// sandboxes is the served pair plus the credentials an admin types.
type sandboxes struct {
	*serve.Pair
	Realm, ClientID, ClientSecret, Company string
	CleoUser, CleoPassword                 string
}

func startSandboxes(t *testing.T) *sandboxes {
	t.Helper()
	p, err := serve.StartPair(1, ifssim.Config{}, cleosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	user, pass := p.Cleo.Credentials()
	return &sandboxes{Pair: p, Realm: p.IFS.Realm(), ClientID: ifssim.DefaultClientID, ClientSecret: ifssim.DefaultClientSecret,
		Company: p.World.Company.ID, CleoUser: user, CleoPassword: pass}
}

type env struct {
	ctx context.Context
	sb  *sandboxes
	st  *store.Store
	sec *secrets.Memory
	bus *events.Bus
	b   *bridge.Bridge
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	sb := startSandboxes(t)
	dir := t.TempDir()
	loc, err := locations.New(dir) // where the CLI code (evidence export) looks too
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, loc.Get(locations.Database))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sec := secrets.NewMemory()
	bus := events.NewBus()
	b := bridge.New(bridge.Config{Store: st, Secrets: sec, SecretLabel: "memory (test)", Bus: bus, Loc: time.UTC, DataDir: dir})
	t.Cleanup(b.Close)
	return &env{ctx, sb, st, sec, bus, b}
}

// waitRun waits for the next finished run of flow (bounded).
func waitRuns(t *testing.T, sub *events.Subscription, flows ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, f := range flows {
		want[f] = true
	}
	deadline := time.After(90 * time.Second)
	for len(want) > 0 {
		select {
		case ev := <-sub.C():
			if d, ok := ev.Data.(events.RunData); ok && ev.Type == events.RunFinished {
				delete(want, d.Flow)
			}
		case <-deadline:
			t.Fatalf("runs %v did not finish", want)
		}
	}
}

// The admin's journey over the real engine: enter the sandbox credentials,
// test both connections; the engine starts and its schedules exist.
func TestAdminEntersCredentialsAndTests(t *testing.T) {
	e := newEnv(t)
	if err := e.b.Start(e.ctx); err != nil || e.b.Configured() {
		t.Fatalf("start without settings: configured=%v err=%v", e.b.Configured(), err)
	}
	p := e.b.Params()
	if _, err := p.Schedules.List(e.ctx); err == nil || !strings.Contains(err.Error(), "not set up yet") {
		t.Fatalf("schedules before setup: %v", err)
	}
	c := p.Connections
	err := c.Save(e.ctx, connections.Settings{
		IFS:  connections.IFSSettings{URL: e.sb.IFSURL, Realm: e.sb.Realm, ClientID: e.sb.ClientID, Company: e.sb.Company},
		Cleo: connections.CleoSettings{Transport: "rest", URL: e.sb.CleoURL, User: e.sb.CleoUser},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetSecret(e.ctx, connections.SecretIFSClient, e.sb.ClientSecret); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSecret(e.ctx, connections.SecretCleoPassword, e.sb.CleoPassword); err != nil {
		t.Fatal(err)
	}
	saved, _ := c.Load(e.ctx)
	for _, target := range []string{connections.IFS, connections.Cleo} {
		rep, err := c.Test(e.ctx, target, saved, nil)
		if err != nil || !rep.OK() {
			t.Fatalf("%s: %v %+v", target, err, rep)
		}
		if _, err := c.Apply(e.ctx, target); err != nil {
			t.Fatal(err)
		}
	}
	set, _ := e.st.Settings(e.ctx)
	for k, v := range set {
		if strings.Contains(v, e.sb.ClientSecret) || strings.Contains(v, e.sb.CleoPassword) {
			t.Fatalf("secret in setting %s", k)
		}
	}
	list, err := p.Schedules.List(e.ctx)
	if err != nil || len(list) != len(engine.Flows) {
		t.Fatalf("schedules after setup: %v %v", list, err)
	}
}

func documentsQuery(key string) documents.Query { return documents.Query{Text: key} }

func TestReasonLabels(t *testing.T) {
	for code, want := range map[string]string{"PARTNER_NOT_MAPPED": "Partner not mapped", "QUANTITY_OVER_PO": "Quantity over PO",
		"GL_UNMAPPED": "GL unmapped", "ACK_OVERDUE": "997 overdue", "EDI_INVALID": "EDI invalid"} {
		if got := bridge.ReasonLabel(code); got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
}

func TestFlatten(t *testing.T) {
	got := bridge.Flatten([]byte(`{"invoice":{"Number":"I1","Lines":[{"Quantity":"30","UOM":"EA","Note":""}],"Extra":null}}`))
	want := "Lines 1=Quantity 30, UOM EA|Number=I1"
	var parts []string
	for _, f := range got {
		parts = append(parts, f.Name+"="+f.Value)
	}
	if strings.Join(parts, "|") != want {
		t.Fatalf("got %q, want %q", strings.Join(parts, "|"), want)
	}
}
