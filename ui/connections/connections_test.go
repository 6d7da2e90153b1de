package connections_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func newScreen(t *testing.T, src connections.Source) (*connections.Screen, *uikit.Runner, fyne.Window) {
	run := uikit.NewManualRunner()
	s := connections.New(context.Background(), src, connections.Params{Runner: run, Now: func() time.Time { return uifake.Epoch }})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	return s, run, w
}

var settings = connections.Settings{
	IFS:  connections.IFSSettings{URL: "http://127.0.0.1:8081", Realm: "mlc", ClientID: "MLCONN", Company: "10", ResourceProfile: "default"},
	Cleo: connections.CleoSettings{Transport: "rest", URL: "http://127.0.0.1:8082", User: "ap-bot"},
}

// The admin's journey in the widgets: enter credentials, test both connections.
func TestEnterCredentialsAndTestBoth(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewConnections()
	src.Expiry[connections.SecretIFSClient] = uifake.Epoch.Add(5 * 24 * time.Hour)
	s, run, w := newScreen(t, src)
	s.Fill(settings, map[string]string{connections.SecretIFSClient: "s3cret", connections.SecretCleoPassword: "s3cret"})
	s.Test(connections.IFS)
	run.Drain()
	s.Test(connections.Cleo)
	run.Drain()
	if e := s.Error(); e != "" {
		t.Fatal(e)
	}
	if src.Stored[connections.SecretIFSClient] != "s3cret" || src.Settings.IFS.ClientID != "MLCONN" {
		t.Fatalf("not saved: %+v %v", src.Settings, src.Stored)
	}
	for _, target := range []string{connections.IFS, connections.Cleo} {
		if r := s.Report(target); !strings.Contains(r, "all steps passed") {
			t.Errorf("%s report:\n%s", target, r)
		}
	}
	m := test.RenderToMarkup(w.Canvas())
	if strings.Contains(m, "s3cret") {
		t.Fatal("a secret is rendered on screen after saving")
	}
	if !strings.Contains(m, "IFS client secret expires in 5 d") {
		t.Fatal("no expiry warning")
	}
	uitest.AssertImage(t, "tested.png", w.Canvas().Capture())
}

func TestFailedStepShowsFix(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewConnections()
	s, run, _ := newScreen(t, src)
	s.Fill(settings, map[string]string{connections.SecretIFSClient: "wrong"})
	s.Test(connections.IFS)
	run.Drain()
	r := s.Report(connections.IFS)
	for _, want := range []string{"HTTP 401 invalid_client", "Fix: Check the client id and secret", "failed, see the fix above"} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
}

func TestSaveErrorInPlace(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewConnections()
	src.SaveErr = errors.New("keychain locked")
	s, run, _ := newScreen(t, src)
	s.Fill(settings, map[string]string{connections.SecretCleoPassword: "s3cret"})
	s.Test(connections.Cleo)
	run.Drain()
	if e := s.Error(); e != "Could not save the connections: keychain locked" {
		t.Fatalf("error %q", e)
	}
	if src.Applied != 0 {
		t.Fatal("applied although saving failed")
	}
}

// A wrong secret is tested, not saved: the working one stays stored and in
// use, and the screen says so.
func TestWrongSecretLeavesTheWorkingOne(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewConnections()
	src.Settings = settings
	src.Stored[connections.SecretIFSClient] = "s3cret"
	s, run, _ := newScreen(t, src)
	changed := settings
	changed.IFS.ClientID = "TYPO"
	s.Fill(changed, map[string]string{connections.SecretIFSClient: "wrong"})
	s.Test(connections.IFS)
	run.Drain()
	if src.Stored[connections.SecretIFSClient] != "s3cret" || src.Settings.IFS.ClientID != "MLCONN" || src.Applied != 0 {
		t.Fatalf("the failing test changed what is stored: %v %+v applied %d", src.Stored, src.Settings.IFS, src.Applied)
	}
	if got := s.Saved(); !strings.Contains(got, "Not saved: the test failed, so the configuration in use is unchanged") {
		t.Fatalf("outcome %q", got)
	}
	// The right secret passes, is saved and applied.
	s.Fill(settings, map[string]string{connections.SecretIFSClient: "s3cret"})
	s.Test(connections.IFS)
	run.Drain()
	if src.Applied != 1 || !strings.Contains(s.Saved(), "Tested and saved") {
		t.Fatalf("after a passing test: applied %d, %q", src.Applied, s.Saved())
	}
}
