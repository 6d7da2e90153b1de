package connections_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// fakeDatabase records what the card asked for.
type fakeDatabase struct {
	choice  connections.DatabaseChoice
	tests   []string
	verdict string
	ok      bool
	err     error
	used    []string
}

func (f *fakeDatabase) Database(context.Context) (connections.DatabaseChoice, error) {
	return f.choice, nil
}
func (f *fakeDatabase) TestTeam(_ context.Context, url, pw string) (string, bool, error) {
	f.tests = append(f.tests, url+" pw="+pw)
	return f.verdict, f.ok, f.err
}
func (f *fakeDatabase) UseTeam(_ context.Context, url, pw string, lead bool) error {
	f.used = append(f.used, "team "+url+" pw="+pw+map[bool]string{true: " leader-capable", false: " client"}[lead])
	return nil
}
func (f *fakeDatabase) UseDesk(context.Context) error { f.used = append(f.used, "desk"); return nil }

// The admin moves a desk to a team database: the card says what is in use;
// a team database cannot be used before its test passes (a failing test
// says why in place), a passing test enables the switch, which hands the
// password to the source (the keychain) and clears the field; going back to
// the desk's own file needs no test.
func TestDatabaseCard(t *testing.T) {
	test.NewTempApp(t)
	db := &fakeDatabase{choice: connections.DatabaseChoice{Location: "/home/ann/.local/share/ml-connector/ml-connector.db", ChosenBy: "data dir"}}
	run := uikit.NewManualRunner()
	s := connections.New(context.Background(), uifake.NewConnections(), connections.Params{Runner: run, Now: func() time.Time { return uifake.Epoch }, Database: db})
	w := test.NewTempWindow(t, s)
	s.Reload()
	run.Drain()
	if cur, _ := s.DatabaseStatus(); cur != "In use: this desk's own file /home/ann/.local/share/ml-connector/ml-connector.db (chosen by data dir)." {
		t.Fatalf("current: %q", cur)
	}
	url := "postgres://ap@db1/mlc?sslmode=verify-full&sslrootcert=/etc/ca.pem"
	s.FillDatabase(true, url, "pg-s3cret", false)
	if s.UseDatabase() {
		t.Fatal("a team database used before its test")
	}
	db.err = errors.New("password authentication failed")
	s.TestDatabase()
	run.Drain()
	if _, res := s.DatabaseStatus(); !strings.HasPrefix(res, "Test failed: password authentication failed") || s.UseDatabase() {
		t.Fatalf("failed test: %q", res)
	}
	db.err, db.ok, db.verdict = nil, false, "the pg_trgm extension is not available on this server"
	s.TestDatabase()
	run.Drain()
	if _, res := s.DatabaseStatus(); res != "Not usable: the pg_trgm extension is not available on this server" || s.UseDatabase() {
		t.Fatalf("unusable: %q", res)
	}
	db.ok, db.verdict = true, "an empty database: the first desk or server to use it sets it up"
	s.TestDatabase()
	run.Drain()
	if _, res := s.DatabaseStatus(); !strings.HasPrefix(res, "Test passed: an empty database") {
		t.Fatalf("passed: %q", res)
	}
	s.FillDatabase(true, url, "pg-s3cret", true)
	if !s.UseDatabase() {
		t.Fatal("Use disabled after a passing test")
	}
	run.Drain()
	if want := "team " + url + " pw=pg-s3cret leader-capable"; len(db.used) != 1 || db.used[0] != want {
		t.Fatalf("used %v, want %q", db.used, want)
	}
	if _, res := s.DatabaseStatus(); res != "Saved. Quit and start the app again to use it." {
		t.Fatalf("after use: %q", res)
	}
	if strings.Contains(test.RenderToMarkup(w.Canvas()), "pg-s3cret") {
		t.Fatal("the password is still on screen")
	}
	// Another URL typed after the test: test it again first.
	s.FillDatabase(true, url+"&x=1", "", true)
	if s.UseDatabase() {
		t.Fatal("an untested URL used")
	}
	s.FillDatabase(false, "", "", false)
	if !s.UseDatabase() {
		t.Fatal("going back to the desk's file is refused")
	}
	run.Drain()
	if len(db.tests) != 3 || db.used[1] != "desk" {
		t.Fatalf("tests %v used %v", db.tests, db.used)
	}
}
