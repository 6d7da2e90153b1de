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
	rep, err := c.Test(e.ctx, connections.IFS)
	if err != nil || !rep.OK() {
		t.Fatalf("IFS alone: %+v %v", rep, err)
	}
	if e.b.Configured() {
		t.Fatal("engine started without a Cleo mailbox")
	}
	rep, err = c.Test(e.ctx, connections.Cleo)
	if err != nil || rep.OK() || !strings.Contains(rep.Steps[0].Detail, "cleo.root") {
		t.Fatalf("Cleo without a folder should name cleo.root: %+v %v", rep, err)
	}

	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "inbox"), 0o700)
	st.Cleo = connections.CleoSettings{Transport: connections.TransportFolder, Root: root, PerPartner: true, Partners: "ACME=ZZ:ACME01@S1001"}
	if err := c.Save(e.ctx, st); err != nil {
		t.Fatal(err)
	}
	rep, err = c.Test(e.ctx, connections.Cleo)
	if err != nil || !rep.OK() || rep.Target != "Cleo (folder)" {
		t.Fatalf("folder: %+v %v", rep, err)
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
