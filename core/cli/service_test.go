package cli

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The service's command line runs the daemon on the chosen data dir,
// store and secrets folder, marked for the SCM, and never carries a secret
// (the account's password goes to the SCM, not into the command).
func TestServiceArgs(t *testing.T) {
	o := serviceOptions{name: ServiceName, dataDir: `C:\ProgramData\ml-connector`, secretsDir: `C:\ProgramData\ml-connector\secrets`,
		store: "postgres://ap@db.example/mlc?sslmode=verify-full", account: `CORP\svc-mlc`, password: "hunter2"}
	got := serviceArgs(o)
	want := []string{"run", "--windows-service", "--data-dir", o.dataDir, "--store", o.store, "--secrets-dir", o.secretsDir}
	if !slices.Equal(got, want) {
		t.Fatalf("args %q, want %q", got, want)
	}
	if strings.Contains(strings.Join(got, " "), "hunter2") {
		t.Fatal("the password is on the service's command line")
	}
	rest, marked := cutFlag([]string{"--windows-service", "--data-dir", "x"}, "windows-service")
	if !marked || !slices.Equal(rest, []string{"--data-dir", "x"}) {
		t.Fatalf("cutFlag %q %v", rest, marked)
	}
}

// Off Windows, 'service' says where the daemon belongs (systemd) and a
// command line marked for the SCM is refused, not run as a plain daemon.
func TestServiceOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows runs the real SCM calls (the Wine test)")
	}
	code, _, errs := cli(t, "service", "install", "--data-dir", t.TempDir())
	if code != ExitUsage || !strings.Contains(errs, "systemd") {
		t.Fatalf("service install: %d %q", code, errs)
	}
	code, _, errs = cli(t, "run", "--windows-service", "--data-dir", t.TempDir())
	if code != ExitUsage || !strings.Contains(errs, "--windows-service is for the Windows service control manager") {
		t.Fatalf("run --windows-service: %d %q", code, errs)
	}
	if code, _, _ := cli(t, "service", "restart"); code != ExitUsage {
		t.Fatalf("service restart: %d", code)
	}
	code, _, errs = cli(t, "service", "install", "--password-stdin", "--data-dir", t.TempDir())
	if code != ExitUsage || !strings.Contains(errs, "password") {
		t.Fatalf("empty password on stdin: %d %q", code, errs)
	}
}
