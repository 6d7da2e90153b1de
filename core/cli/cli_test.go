package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &o, &e, "version")
	return code, o.String(), e.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "ml-connector ") || !strings.Contains(out, "go1.") {
		t.Fatalf("code %d out %q", code, out)
	}
}

func TestDefaultCommandAndDataDirFlag(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, "--data-dir", dir)
	if code != ExitOK || !strings.Contains(out, "ml-connector") {
		t.Fatalf("default command: code %d out %q", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"nope"}, ExitUsage, `unknown command "nope"`},
		{[]string{"version", "--bogus"}, ExitUsage, "flag provided but not defined"},
		{[]string{"version", "extra"}, ExitUsage, "unexpected argument"},
		{[]string{"version", "-h"}, ExitOK, "usage: ml-connector version"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: code %d stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, "help")
	if code != ExitOK || !strings.Contains(out, "version") {
		t.Fatalf("help: %d %q", code, out)
	}
}

func TestStoreCommandsLogToDataDir(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, "--data-dir", dir, "documents"); code != ExitOK {
		t.Fatalf("documents: %d %s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "logs", "ml-connector.log"))
	if err != nil {
		t.Fatalf("no log file in the data dir: %v", err)
	}
	if !strings.Contains(string(b), `"msg":"store opened"`) {
		t.Fatalf("log file lacks the store line:\n%s", b)
	}
}
