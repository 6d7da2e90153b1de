package ifs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestConformanceProcess runs the conformance suite against the real
// `ml-connector sandbox` process. Building the binary needs cgo (Fyne) and
// minutes cold, so it runs only with MLC_PROCESS_TESTS=1.
func TestConformanceProcess(t *testing.T) {
	if os.Getenv("MLC_PROCESS_TESTS") != "1" {
		t.Skip("set MLC_PROCESS_TESTS=1 to build ml-connector and test against the sandbox process")
	}
	bin := testharness.Binary(t)
	runConformance(t, func(t *testing.T, o simOptions) sandboxEnv {
		return startProcess(t, bin, o)
	})
}

// processEnv is a sandbox process, controlled through its HTTP control API.
type processEnv struct {
	info  testharness.SandboxInfo
	world *world.World
}

func startProcess(t *testing.T, bin string, o simOptions) sandboxEnv {
	t.Helper()
	args := []string{"--rate-limit", "0"}
	if o.PageSize > 0 {
		args = append(args, "--page-size", strconv.Itoa(o.PageSize))
	}
	if o.ObjstateAlways400 {
		args = append(args, "--objstate-filter-400")
	}
	if o.Links != nil {
		args = append(args, "--links", o.Links.Flag())
	}
	return &processEnv{info: testharness.StartSandbox(t, testharness.ExecCommand(bin), args...), world: world.New(1)}
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
