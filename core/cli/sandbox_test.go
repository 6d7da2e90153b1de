package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandboxCommand runs "ml-connector sandbox" in-process, waits for the
// info file, uses the IFS sandbox through it and stops it by cancelling.
func TestSandboxCommand(t *testing.T) {
	infoPath := filepath.Join(t.TempDir(), "info.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0",
			"--seed", "7", "--info", infoPath, "--rate-limit", "0"}, strings.NewReader(""), &stdout, &stderr, "version")
	}()

	var raw []byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(infoPath)
		if err == nil {
			raw = b
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sandbox exited with %d before writing the info file: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no info file")
		}
	}
	// Field names are snake_case in the file; every value is a string.
	var info map[string]map[string]string
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatalf("info file: %v\n%s", err, raw)
	}
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
	req, _ := http.NewRequest("GET", ifs["url"]+"/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc/PurchaseOrderSet?$top=2", nil)
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

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit code %d: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sandbox did not stop after cancel")
	}
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
	} {
		code, _, _ := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%v: code %d, want %d", args, code, ExitUsage)
		}
	}
}

func TestLoopbackAddr(t *testing.T) {
	for in, want := range map[string]string{":0": "127.0.0.1:0", "localhost:8080": "127.0.0.1:8080", "127.0.0.1:1": "127.0.0.1:1", "[::1]:0": "[::1]:0"} {
		if got, err := loopbackAddr(in); err != nil || got != want {
			t.Errorf("%s → %s %v, want %s", in, got, err, want)
		}
	}
	if _, err := loopbackAddr("192.168.1.1:0"); err == nil {
		t.Error("LAN address accepted")
	}
}
