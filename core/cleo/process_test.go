package cleo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestRESTConformanceProcess runs the conformance suite against the Cleo
// sandbox of the real `ml-connector sandbox` process, driven through its
// control API. Building the binary needs cgo (Fyne) and minutes cold, so it
// runs only with MLC_PROCESS_TESTS=1; MLC_BINARY names a binary already built.
func TestRESTConformanceProcess(t *testing.T) {
	if os.Getenv("MLC_PROCESS_TESTS") != "1" {
		t.Skip("set MLC_PROCESS_TESTS=1 to build ml-connector and test against the sandbox process")
	}
	sb := testharness.StartSandbox(t, testharness.ExecCommand(testharness.Binary(t)))
	info := cleoProcessInfo{URL: sb.Cleo.URL, Username: sb.Cleo.Username, Password: sb.Cleo.Password, ControlURL: sb.Cleo.ControlURL}
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
