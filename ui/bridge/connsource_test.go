package bridge_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/ui/connections"
)

// IFS is tested on its own before anything of Cleo is filled in; then a
// folder mailbox completes the setup, the engine starts, and the settings
// read back as saved.
func TestTestIFSAloneThenFolderTransport(t *testing.T) {
	e := newEnv(t)
	if err := e.b.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	c := e.b.Params().Connections
	st := connections.Settings{
		IFS:  connections.IFSSettings{URL: e.sb.IFSURL, Realm: e.sb.Realm, ClientID: e.sb.ClientID, Company: e.sb.Company},
		Cleo: connections.CleoSettings{Transport: connections.TransportFolder},
	}
	if err := c.Save(e.ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSecret(e.ctx, connections.SecretIFSClient, e.sb.ClientSecret); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Test(e.ctx, connections.IFS, st, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("IFS alone: %+v %v", rep, err)
	}
	if inUse, err := c.Apply(e.ctx, connections.IFS); err != nil || inUse {
		t.Fatalf("applied IFS alone: in use %v %v", inUse, err)
	}
	if e.b.Configured() {
		t.Fatal("engine started without a Cleo mailbox")
	}
	rep, err = c.Test(e.ctx, connections.Cleo, st, nil)
	if err != nil || rep.OK() || !strings.Contains(rep.Steps[0].Detail, "cleo.root") {
		t.Fatalf("Cleo without a folder should name cleo.root: %+v %v", rep, err)
	}

	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "inbox"), 0o700)
	st.Cleo = connections.CleoSettings{Transport: connections.TransportFolder, Root: root, PerPartner: true, Partners: "ACME=ZZ:ACME01@S1001"}
	rep, err = c.Test(e.ctx, connections.Cleo, st, nil)
	if err != nil || !rep.OK() || rep.Target != "Cleo (folder)" {
		t.Fatalf("folder: %+v %v", rep, err)
	}
	if e.b.Configured() {
		t.Fatal("a test alone started the engine: nothing is saved or applied before the admin's save")
	}
	if err := c.Save(e.ctx, st); err != nil {
		t.Fatal(err)
	}
	if inUse, err := c.Apply(e.ctx, connections.Cleo); err != nil || !inUse {
		t.Fatalf("apply: in use %v %v", inUse, err)
	}
	if !e.b.Configured() {
		t.Fatal("engine not started with both connections working")
	}
	got, err := c.Load(e.ctx)
	if err != nil || got != st {
		t.Fatalf("loaded %+v, want %+v (%v)", got, st, err)
	}
	st.Cleo.Partners = "ACME=ACME01"
	if err := c.Save(e.ctx, st); err == nil || !strings.Contains(err.Error(), "QUAL:ID") {
		t.Fatalf("bad partner list saved: %v", err)
	}
}

// With the engine running, a test of a wrong secret fails against the real
// sandbox and changes nothing: the stored secret and the running engine
// stay as they were.
func TestWrongSecretTestedNotSaved(t *testing.T) {
	e, _, _ := syncedUI(t)
	c := e.b.Params().Connections
	st, err := c.Load(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Test(e.ctx, connections.IFS, st, map[string]string{connections.SecretIFSClient: "not-the-secret"})
	if err != nil || rep.OK() {
		t.Fatalf("a wrong secret passed: %+v %v", rep, err)
	}
	if v, err := e.sec.Get(e.ctx, connections.SecretIFSClient); err != nil || v != e.sb.ClientSecret {
		t.Fatalf("stored secret after the failed test: %q %v", v, err)
	}
	if !e.b.Configured() {
		t.Fatal("the running engine stopped")
	}
	// The right one (typed again) passes without touching anything either.
	if rep, err := c.Test(e.ctx, connections.IFS, st, map[string]string{connections.SecretIFSClient: e.sb.ClientSecret}); err != nil || !rep.OK() {
		t.Fatalf("the right secret: %+v %v", rep, err)
	}
}
