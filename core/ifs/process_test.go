package ifs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// TestConformanceProcess runs the conformance suite against the real
// `ml-connector sandbox` process. Building the binary needs cgo (Fyne) and
// minutes cold, so it runs only with MLC_PROCESS_TESTS=1.
func TestConformanceProcess(t *testing.T) {
	if os.Getenv("MLC_PROCESS_TESTS") != "1" {
		t.Skip("set MLC_PROCESS_TESTS=1 to build ml-connector and test against the sandbox process")
	}
	bin := filepath.Join(t.TempDir(), "mlc")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ml-connector")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build ml-connector: %v\n%s", err, out)
	}
	runConformance(t, func(t *testing.T, o simOptions) sandboxEnv {
		if o.ObjstateAlways400 {
			t.Skip("the sandbox command has no flag for the Objstate-400 tenant")
		}
		return startProcess(t, bin, o)
	})
}

// processEnv is a sandbox process, controlled through its HTTP control API.
type processEnv struct {
	info struct {
		IFS struct {
			URL          string `json:"url"`
			TokenURL     string `json:"token_url"`
			Realm        string `json:"realm"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			Company      string `json:"company"`
			ControlURL   string `json:"control_url"`
		} `json:"ifs"`
	}
	world *world.World
}

func startProcess(t *testing.T, bin string, o simOptions) sandboxEnv {
	t.Helper()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	args := []string{"sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0", "--seed", "1",
		"--rate-limit", "0", "--info", infoPath, "--data-dir", t.TempDir()}
	if o.PageSize > 0 {
		args = append(args, "--page-size", strconv.Itoa(o.PageSize))
	}
	cmd := exec.Command(bin, args...)
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
	e := &processEnv{world: world.New(1)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(infoPath); err == nil && json.Unmarshal(b, &e.info) == nil && e.info.IFS.URL != "" {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox exited: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no info file after 30 s\n%s", out.String())
		}
	}
	return e
}

func (e *processEnv) ClientConfig() ifs.Config {
	i := e.info.IFS
	return ifs.Config{BaseURL: i.URL, TokenURL: i.TokenURL, ClientID: i.ClientID, ClientSecret: i.ClientSecret, Company: i.Company}
}

func (e *processEnv) World() *world.World { return e.world }
func (e *processEnv) Virtual() bool       { return false }

func (e *processEnv) Advance(d time.Duration) { time.Sleep(d) }

func (e *processEnv) control(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		json.NewEncoder(&body).Encode(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.info.IFS.ControlURL+path, &body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("control %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("control %s %s: %v", method, path, err)
		}
	}
}

func (e *processEnv) SetFaults(t *testing.T, f ifssim.Faults) { e.control(t, "PUT", "/faults", f, nil) }
func (e *processEnv) ExpireTokens(t *testing.T)               { e.control(t, "POST", "/tokens/expire", nil, nil) }

func (e *processEnv) Invoices(t *testing.T) []domain.SupplierInvoice {
	var out []domain.SupplierInvoice
	e.control(t, "GET", "/invoices", nil, &out)
	return out
}

func (e *processEnv) Stats(t *testing.T) ifssim.Stats {
	var st ifssim.Stats
	e.control(t, "GET", "/stats", nil, &st)
	return st
}
