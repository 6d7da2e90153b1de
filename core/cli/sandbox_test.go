package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
)

// runningSandbox is "ml-connector sandbox" running in-process.
type runningSandbox struct {
	info           map[string]map[string]string
	raw            []byte
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr *bytes.Buffer
}

// startSandbox runs the command with args and waits for its info file.
func startSandbox(t *testing.T, args ...string) *runningSandbox {
	t.Helper()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningSandbox{cancel: cancel, done: make(chan int, 1), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	t.Cleanup(func() {
		cancel()
		select {
		case <-rs.done:
		case <-time.After(20 * time.Second):
		}
	})
	args = append([]string{"sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0", "--info", infoPath}, args...)
	go func() {
		code := Main(ctx, args, strings.NewReader(""), rs.stdout, rs.stderr, "version")
		rs.done <- code
		close(rs.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(infoPath)
		if err == nil {
			rs.raw = b
			break
		}
		select {
		case code := <-rs.done:
			t.Fatalf("sandbox exited with %d before writing the info file: %s", code, rs.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no info file")
		}
	}
	// Field names are snake_case in the file; every value is a string.
	if err := json.Unmarshal(rs.raw, &rs.info); err != nil {
		t.Fatalf("info file: %v\n%s", err, rs.raw)
	}
	return rs
}

// stop cancels the command and returns its exit code.
func (rs *runningSandbox) stop(t *testing.T) int {
	t.Helper()
	rs.cancel()
	select {
	case code := <-rs.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("sandbox did not stop after cancel")
	}
	return -1
}

// TestSandboxCommand runs "ml-connector sandbox" in-process, waits for the
// info file, uses the IFS sandbox through it and stops it by cancelling.
func TestSandboxCommand(t *testing.T) {
	rs := startSandbox(t, "--seed", "7", "--rate-limit", "0")
	info, raw := rs.info, rs.raw
	ifs := info["ifs"]
	if !strings.HasPrefix(ifs["url"], "http://127.0.0.1:") || strings.HasSuffix(ifs["url"], ":0") ||
		ifs["token_url"] != ifs["url"]+"/auth/realms/"+ifs["realm"]+"/protocol/openid-connect/token" ||
		ifs["company"] != "MLC01" || ifs["client_id"] == "" || ifs["client_secret"] == "" || ifs["control_url"] != ifs["url"]+"/_sandbox" {
		t.Fatalf("info: %s", raw)
	}
	if _, ok := info["cleo"]; ok && len(sandboxKinds) == 1 {
		t.Error("cleo section written without a Cleo sandbox")
	}

	resp, err := http.PostForm(ifs["token_url"], url.Values{"grant_type": {"client_credentials"},
		"client_id": {ifs["client_id"]}, "client_secret": {ifs["client_secret"]}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", ifs["url"]+"/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc/PurchaseOrderSet?$orderby=OrderNo&$top=2", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"OrderNo":"P10001"`) {
		t.Fatalf("purchase orders: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(ifs["control_url"] + "/faults")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("control: %d", resp.StatusCode)
	}

	if code := rs.stop(t); code != ExitOK {
		t.Errorf("exit code %d: %s", code, rs.stderr.String())
	}
	stdout := rs.stdout
	if !strings.Contains(stdout.String(), "IFS Cloud sandbox listening on "+ifs["url"]) {
		t.Errorf("stdout: %s", stdout.String())
	}
	if _, err := http.Get(ifs["url"] + "/"); err == nil {
		t.Error("server still answering after stop")
	}
}

func TestSandboxCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--ifs-listen", "0.0.0.0:0"},
		{"sandbox", "--ifs-listen", "nonsense"},
		{"sandbox", "extra"},
		{"sandbox", "--seed", "x"},
		{"sandbox", "--faults", "/nonexistent/faults.json"},
		{"sandbox", "--faults", badFaults(t, `{"error_503_rate":`)},
		{"sandbox", "--faults", badFaults(t, `{"error_503":0.1}`)},
		{"sandbox", "--faults", badFaults(t, `{"error_503_rate":1.5}`)},
		{"sandbox", "--lost-answer-rate", "2"},
		{"sandbox", "--lost-answer-mode", "smoke"},
		{"sandbox", "--rate-limit", "-5"},
	} {
		code, _, _ := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%v: code %d, want %d", args, code, ExitUsage)
		}
	}
}

func badFaults(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "faults.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ifsCall sends one IFS API request with a fresh token of the info file's client.
func ifsCall(t *testing.T, ifs map[string]string, method, path, body string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(ifs["token_url"], url.Values{"grant_type": {"client_credentials"},
		"client_id": {ifs["client_id"]}, "client_secret": {ifs["client_secret"]}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest(method, ifs["url"]+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSandboxFaultFlags: --faults FILE, the fault flags over it and
// --objstate-filter-400 reach the running IFS sandbox.
func TestSandboxFaultFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "faults.json")
	os.WriteFile(file, []byte(`{"rate_limit_per_minute":0,"error_503_rate":0.2,"lost_answers":1,"lost_answer_mode":"reset","latency_ms":1}`), 0o600)
	rs := startSandbox(t, "--faults", file, "--error-503-rate", "0", "--gateway-502-rate", "0",
		"--lost-answer-rate", "0.25", "--error-429-rate", "0.01", "--objstate-filter-400", "--server-rate-limit", "6000", "--fault-seed", "3")
	ifs := rs.info["ifs"]
	resp, err := http.Get(ifs["control_url"] + "/faults")
	if err != nil {
		t.Fatal(err)
	}
	var got ifssim.Faults
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	want := ifssim.Faults{RateLimitPerMinute: 0, ServerRateLimitPerMinute: 6000, Error429Rate: 0.01, Error503Rate: 0, LostAnswers: 1,
		LostAnswerRate: 0.25, LostAnswerMode: ifssim.LostReset, LatencyMS: 1}
	if got != want {
		t.Fatalf("faults\n got %+v\nwant %+v", got, want)
	}
	if !strings.Contains(rs.stdout.String(), "IFS faults: 6000 requests/min in all, random 429 1%, lost answers 25% + next 1 (reset), +1 ms") {
		t.Errorf("banner: %s", rs.stdout.String())
	}
	po := "/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc/PurchaseOrderSet"
	filter := "?$filter=" + url.QueryEscape("Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released'")
	if code, body := ifsCall(t, ifs, "GET", po+filter, ""); code != 400 {
		t.Errorf("Objstate filter with --objstate-filter-400: %d %s", code, body)
	}
	if code, _ := ifsCall(t, ifs, "GET", po+"?$top=1", ""); code != 200 {
		t.Errorf("plain read: %d", code)
	}
	if code := rs.stop(t); code != ExitOK {
		t.Errorf("exit %d: %s", code, rs.stderr.String())
	}
}

// TestSandboxLostAnswerProcess: with every answer lost, a POSTed invoice
// is stored although the client saw the gateway's 502.
func TestSandboxLostAnswerProcess(t *testing.T) {
	rs := startSandbox(t, "--rate-limit", "0", "--lost-answer-rate", "1")
	ifs := rs.info["ifs"]
	code, body := ifsCall(t, ifs, "POST", "/main/ifsapplications/projection/v1/ManualSupplierInvoiceHandling.svc/ManSuppInvoiceSet",
		`{"Company":"MLC01","InvoiceNo":"CLI-1","Identity":"SUP1001"}`)
	if code != 502 || !strings.Contains(body, "<html>") {
		t.Fatalf("POST: %d %s", code, body)
	}
	resp, err := http.Get(ifs["control_url"] + "/invoices")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"InvoiceNo":"CLI-1"`) {
		t.Errorf("invoice not stored: %s", b)
	}
}

// TestSandboxHelp: -h documents every flag, and the --faults example in it
// is a valid faults file.
func TestSandboxHelp(t *testing.T) {
	code, _, help := run(t, "sandbox", "-h")
	if code != ExitOK {
		t.Fatalf("-h: %d", code)
	}
	fs, _ := newSandboxFlags(&Env{Stderr: io.Discard})
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(help, "  -"+f.Name+" ") && !strings.Contains(help, "  -"+f.Name+"\n") {
			t.Errorf("-h does not list -%s", f.Name)
		}
		if len(f.Usage) < 15 {
			t.Errorf("-%s has no real description: %q", f.Name, f.Usage)
		}
	})
	for _, name := range []string{"objstate-filter-400", "faults", "rate-limit", "error-429-rate", "error-503-rate", "gateway-502-rate",
		"lost-answer-rate", "lost-answer-mode", "latency-ms", "server-rate-limit"} {
		if fs.Lookup(name) == nil {
			t.Errorf("no -%s flag", name)
		}
	}
	i, j := strings.Index(help, "  {"), strings.Index(help, "}\n")
	if i < 0 || j < i {
		t.Fatalf("no faults example in -h:\n%s", help)
	}
	dec := json.NewDecoder(strings.NewReader(help[i : j+1]))
	dec.DisallowUnknownFields()
	var f ifssim.Faults
	if err := dec.Decode(&f); err != nil {
		t.Errorf("faults example: %v", err)
	} else if err := f.Validate(); err != nil {
		t.Errorf("faults example: %v", err)
	}
	t.Logf("%d flags documented", n)
}
