package cleo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// TestRESTConformanceProcess runs the conformance suite against the Cleo
// sandbox of the real `ml-connector sandbox` process, driven through its
// control API. Building the binary needs cgo (Fyne) and minutes cold, so it
// runs only with MLC_PROCESS_TESTS=1; MLC_BINARY names a binary already built.
func TestRESTConformanceProcess(t *testing.T) {
	if os.Getenv("MLC_PROCESS_TESTS") != "1" {
		t.Skip("set MLC_PROCESS_TESTS=1 to build ml-connector and test against the sandbox process")
	}
	bin := os.Getenv("MLC_BINARY")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "mlc")
		build := exec.Command("go", "build", "-o", bin, "./cmd/ml-connector")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build ml-connector: %v\n%s", err, out)
		}
	}
	info := startSandboxProcess(t, bin)
	ctl := func(t *testing.T, method, path string, body any, out any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, info.ControlURL+path, rd)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	p := world.New(1).Suppliers[0].Partner
	cleotest.RunTests(t, func(t *testing.T) *cleotest.Env {
		// One process for the suite: a reset gives each test fresh state
		// (with the seeded inbound mix, which the suite's name filter ignores).
		ctl(t, "POST", "/reset", nil, nil)
		return &cleotest.Env{
			New: func(t *testing.T) cleo.Transport {
				r, err := cleo.NewREST(cleo.RESTConfig{BaseURL: info.URL, Username: info.Username, Password: info.Password, PageSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				return r
			},
			PartnerAlias: p.Alias, PartnerISAQualifier: p.ISAQualifier, PartnerISAID: p.ISAID, PageSize: 3,
			Put: func(t *testing.T, name string, content []byte, created time.Time) {
				ctl(t, "POST", "/inject", map[string]any{"connection": p.Alias, "filename": name, "content": string(content), "created": created}, nil)
			},
			Sent: func(t *testing.T, name string) ([]byte, int) {
				var files []cleosim.File
				ctl(t, "GET", "/sent", nil, &files)
				var got []byte
				n := 0
				for _, f := range files {
					if f.Connection == p.Alias && f.Filename == name {
						got, n = f.Content, n+1
					}
				}
				return got, n
			},
			ExpireTokensAfter: func(t *testing.T, n int) {
				ctl(t, "PUT", "/faults", cleosim.Faults{ExpireTokensAfter: n}, nil)
			},
			Rejected: func(t *testing.T) int {
				var st cleosim.Stats
				ctl(t, "GET", "/stats", nil, &st)
				return st.Unauthorized
			},
		}
	})
}

type cleoProcessInfo struct {
	URL, Username, Password string
	ControlURL              string `json:"control_url"`
}

func startSandboxProcess(t *testing.T, bin string) cleoProcessInfo {
	t.Helper()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	cmd := exec.Command(bin, "sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0", "--seed", "1",
		"--info", infoPath, "--data-dir", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if b, err := os.ReadFile(infoPath); err == nil {
			var info struct {
				Cleo cleoProcessInfo `json:"cleo"`
			}
			if err := json.Unmarshal(b, &info); err != nil || !strings.HasPrefix(info.Cleo.URL, "http://127.0.0.1:") {
				t.Fatalf("info file: %v %s", err, b)
			}
			return info.Cleo
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox exited (%v): %s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no info file after 30 s: %s", out.String())
		}
	}
}
