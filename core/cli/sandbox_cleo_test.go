package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// TestSandboxCommandCleo runs "ml-connector sandbox" in-process and uses the
// Cleo sandbox through the info file with the REST transport.
func TestSandboxCommandCleo(t *testing.T) {
	infoPath := filepath.Join(t.TempDir(), "info.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0",
			"--seed", "3", "--info", infoPath}, strings.NewReader(""), &stdout, &stderr, "version")
	}()
	var raw []byte
	for deadline := time.Now().Add(20 * time.Second); ; {
		if b, err := os.ReadFile(infoPath); err == nil {
			raw = b
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sandbox exited with %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no info file")
		}
	}
	var info map[string]map[string]string
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	c := info["cleo"]
	if !strings.HasPrefix(c["url"], "http://127.0.0.1:") || c["username"] == "" || c["password"] == "" || c["control_url"] != c["url"]+"/_sandbox" {
		t.Fatalf("cleo info: %s", raw)
	}
	r, err := cleo.NewREST(cleo.RESTConfig{BaseURL: c["url"], Username: c["username"], Password: c["password"]})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep := r.TestConnection(ctx)
	if !rep.OK() {
		t.Fatalf("TestConnection: %+v", rep)
	}
	files, err := r.Inbound(ctx)
	if err != nil || len(files) < 10 {
		t.Fatalf("seeded inbound: %d %v", len(files), err)
	}
	if !strings.Contains(stdout.String(), "Cleo Integration Cloud sandbox listening on") {
		t.Errorf("console: %s", stdout.String())
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// --empty-inbox starts the Cleo sandbox without its seeded inbound files.
func TestSandboxEmptyInbox(t *testing.T) {
	w := world.New(3)
	for _, empty := range []bool{false, true} {
		h, _, err := buildCleoSandbox(w, sandboxOptions{EmptyInbox: empty})
		if err != nil {
			t.Fatal(err)
		}
		n := len(h.(*cleosim.Server).Inbox())
		if empty && n != 0 || !empty && n == 0 {
			t.Errorf("--empty-inbox=%v: %d files waiting", empty, n)
		}
	}
}
