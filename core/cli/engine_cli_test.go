package cli

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// sandboxInfoFile starts both sandboxes in-process and writes an info file
// like 'ml-connector sandbox --info' does.
func sandboxInfoFile(t *testing.T) (string, *ifssim.Server, *cleosim.Server) {
	t.Helper()
	w := world.New(1)
	isim := ifssim.New(w, ifssim.Config{})
	csim := cleosim.New(w, cleosim.Config{SupplierDelay: -1})
	isrv := httptest.NewServer(isim)
	csrv := httptest.NewServer(csim)
	t.Cleanup(isrv.Close)
	t.Cleanup(csrv.Close)
	user, pass := csim.Credentials()
	info := map[string]any{
		"ifs": map[string]string{"url": isrv.URL, "token_url": isrv.URL + isim.TokenPath(), "realm": isim.Realm(),
			"client_id": ifssim.DefaultClientID, "client_secret": ifssim.DefaultClientSecret, "company": w.Company.ID},
		"cleo": map[string]string{"url": csrv.URL, "username": user, "password": pass},
	}
	b, _ := json.Marshal(info)
	p := filepath.Join(t.TempDir(), "info.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, isim, csim
}

// allOutput collects everything the commands printed, for the secrets check.
var allOutput bytes.Buffer

func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb, "help")
	allOutput.Write(out.Bytes())
	allOutput.Write(errb.Bytes())
	return code, out.String(), errb.String()
}

// readAllWritten returns the content of a file as the app wrote it, with
// zip archives expanded (a compressed secret would not show in the bytes).
func readAllWritten(t *testing.T, p string) []byte {
	b, _ := os.ReadFile(p)
	if !strings.HasSuffix(p, ".zip") {
		return b
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	var all []byte
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, _ := io.ReadAll(rc)
		rc.Close()
		all = append(all, c...)
	}
	if len(zr.File) < 5 {
		t.Fatalf("evidence pack has %d entries", len(zr.File))
	}
	return all
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON lines: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestHeadlessJourney(t *testing.T) {
	info, isim, _ := sandboxInfoFile(t)
	dd := t.TempDir()
	secDir := filepath.Join(dd, "secrets")
	if code, out, errs := cli(t, "connect", "--data-dir", dd, "--sandbox", info, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("connect %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := cli(t, "sync", "--once", "--data-dir", dd, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("sync %d\n%s\n%s", code, out, errs)
	}
	code, out, _ := cli(t, "documents", "--json", "--data-dir", dd, "--type", "810")
	docs := jsonLines(t, out)
	if code != 0 || len(docs) < 10 {
		t.Fatalf("documents %d: %d lines", code, len(docs))
	}
	posted := 0
	for _, d := range docs {
		for _, k := range []string{"id", "type", "direction", "partner", "business_key", "status", "reason"} {
			if _, ok := d[k]; !ok {
				t.Fatalf("document without %s: %v", k, d)
			}
		}
		if d["status"] == "posted" {
			posted++
		}
	}
	if posted == 0 || posted != len(isim.Invoices()) {
		t.Fatalf("posted %d, IFS has %d", posted, len(isim.Invoices()))
	}
	// Re-coding a posted invoice's GL: an unknown account is refused in
	// words; a valid one reaches the IFS posting proposal.
	var postedID string
	for _, d := range docs {
		if d["status"] == "posted" {
			postedID = strconv.Itoa(int(d["id"].(float64)))
			break
		}
	}
	if code, _, errs := cli(t, "documents", "recode", "--data-dir", dd, "--secrets-dir", secDir, "--line", "1", "--account", "zzz", postedID); code == 0 ||
		!strings.Contains(errs, `account "zzz" is not an IFS account`) {
		t.Fatalf("recode to zzz: %d %s", code, errs)
	}
	acct := ""
	for _, a := range isim.World().Accounts {
		if a.Valid(isim.World().Today) {
			acct = a.Value // the last valid one: unlikely to be a PO line's
		}
	}
	if code, out, errs := cli(t, "documents", "recode", "--data-dir", dd, "--secrets-dir", secDir, "--line", "1", "--account", acct, postedID); code != 0 ||
		!strings.Contains(out, "re-coded") {
		t.Fatalf("recode to %s: %d %s %s", acct, code, out, errs)
	}
	recoded := false
	for _, inv := range isim.Invoices() {
		recoded = recoded || len(inv.Postings) > 0 && inv.Postings[0].Code.Account == acct
	}
	if !recoded {
		t.Errorf("no IFS posting proposal carries account %s after the re-coding", acct)
	}
	_, out, _ = cli(t, "documents", "--json", "--data-dir", dd, "--type", "850", "--status", "sent")
	sent850 := jsonLines(t, out)
	if len(sent850) == 0 {
		t.Fatal("no 850 sent")
	}
	// Each 850 was followed through Cleo's transfer log.
	for _, d := range sent850 {
		if d["delivery"] != "delivered" || !strings.HasPrefix(d["transfer_id"].(string), "T") || d["delivery_status"] != "Success" {
			t.Errorf("850 %v: delivery %v, transfer %v, status %v", d["business_key"], d["delivery"], d["transfer_id"], d["delivery_status"])
		}
	}
	_, out, _ = cli(t, "status", "--json", "--data-dir", dd)
	var stat struct {
		Deliveries map[string]int `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(out), &stat); err != nil || stat.Deliveries["delivered"] < len(sent850) || stat.Deliveries["failed"] != 0 {
		t.Errorf("status deliveries %v (%v) for %d 850s sent", stat.Deliveries, err, len(sent850))
	}
	_, out, _ = cli(t, "exceptions", "--json", "--data-dir", dd)
	excs := jsonLines(t, out)
	var unmapped map[string]any
	for _, x := range excs {
		for _, k := range []string{"document_id", "reason", "message", "fix"} {
			if _, ok := x[k]; !ok {
				t.Fatalf("exception without %s: %v", k, x)
			}
		}
		if x["reason"] == "PARTNER_NOT_MAPPED" {
			unmapped = x
		}
	}
	if unmapped == nil {
		t.Fatalf("no PARTNER_NOT_MAPPED in %v", excs)
	}
	id := strconv.Itoa(int(unmapped["id"].(float64)))
	if code, out, _ := cli(t, "replay", "--data-dir", dd, "--secrets-dir", secDir, "--preview", id); code != 0 || !strings.Contains(out, "still_failing") {
		t.Fatalf("replay preview %d: %s", code, out)
	}
	// --update-ifs is for corrections only: anything else is refused, in words.
	if code, _, errs := cli(t, "replay", "--data-dir", dd, "--secrets-dir", secDir, "--update-ifs", id); code == 0 || !strings.Contains(errs, "only an open CORRECTION_PENDING exception can") {
		t.Fatalf("update-ifs on a PARTNER_NOT_MAPPED exception: %d %s", code, errs)
	}
	if code, out, _ := cli(t, "replay", "--data-dir", dd, "--secrets-dir", secDir, "--reason", "PRICE_VARIANCE", "--preview"); code != 0 || !strings.Contains(out, "would still_failing") {
		t.Fatalf("replay by reason preview %d: %s", code, out)
	}
	docID := strconv.Itoa(int(unmapped["document_id"].(float64)))
	if code, out, _ := cli(t, "audit", "--data-dir", dd, docID); code != 0 || !strings.Contains(out, "exception.PARTNER_NOT_MAPPED") {
		t.Fatalf("audit %d: %s", code, out)
	}
	zipPath := filepath.Join(dd, "pack.zip")
	if code, _, errs := cli(t, "audit", "export", "--data-dir", dd, "--out", zipPath, docID); code != 0 {
		t.Fatalf("audit export: %s", errs)
	}
	// The pack reads as sentences too: the unmapped partner's exception.
	if zr, err := zip.OpenReader(zipPath); err != nil {
		t.Fatal(err)
	} else {
		var summary string
		for _, f := range zr.File {
			if f.Name == "summary.txt" {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				summary = string(b)
			}
		}
		zr.Close()
		if !strings.Contains(summary, "from ZZ:ORPHANTRADING stored as received") || !strings.Contains(summary, "Exception PARTNER_NOT_MAPPED (received → exception): Partner ZZ:") {
			t.Errorf("summary.txt of the evidence pack:\n%s", summary)
		}
	}
	if code, out, _ := cli(t, "audit", "verify", "--data-dir", dd); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify %d %s", code, out)
	}
	cfgPath := filepath.Join(dd, "cfg.json")
	if code, _, errs := cli(t, "config", "export", "--data-dir", dd, "--out", cfgPath); code != 0 {
		t.Fatalf("config export: %s", errs)
	}
	if code, out, errs := cli(t, "config", "import", "--data-dir", t.TempDir(), cfgPath); code != 0 {
		t.Fatalf("config import %d: %s %s", code, out, errs)
	}
	if code, _, _ := cli(t, "replay", "--data-dir", dd, "--ignore", id, "--comment", "test partner"); code != 0 {
		t.Fatal("ignore failed")
	}
	// Secrets never land in anything the app wrote.
	for _, secret := range []string{ifssim.DefaultClientSecret, "cleo-sandbox-pass"} {
		filepath.Walk(dd, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() || strings.HasPrefix(p, secDir) {
				return nil
			}
			if bytes.Contains(readAllWritten(t, p), []byte(secret)) {
				t.Errorf("secret %q found in %s", secret, p)
			}
			return nil
		})
		if bytes.Contains(allOutput.Bytes(), []byte(secret)) {
			t.Errorf("secret %q printed by a command", secret)
		}
	}
	// The secrets themselves are files of the secrets folder, 0600.
	if fi, err := os.Stat(filepath.Join(secDir, "ifs.client_secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
}

func TestRunDaemonStopsOnCancel(t *testing.T) {
	info, isim, _ := sandboxInfoFile(t)
	dd := t.TempDir()
	if code, _, errs := cli(t, "connect", "--data-dir", dd, "--sandbox", info, "--secrets-dir", filepath.Join(dd, "secrets"), "--no-test"); code != 0 {
		t.Fatal(errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"run", "--data-dir", dd}, strings.NewReader(""), &syncWriter{w: &out}, &errb, "help")
	}()
	// Wait (bounded) for the first sync to post something, then stop.
	for i := 0; i < 1800 && len(isim.Invoices()) == 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exit %d: %s", code, errb.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("run did not stop")
	}
	if len(isim.Invoices()) == 0 {
		t.Fatal("the daemon posted nothing")
	}
	if code, out, _ := cli(t, "audit", "verify", "--data-dir", dd); code != 0 {
		t.Fatal(out)
	}
}

func TestConnectWithFlags(t *testing.T) {
	infoPath, _, _ := sandboxInfoFile(t)
	var info sandboxInfo
	b, _ := os.ReadFile(infoPath)
	json.Unmarshal(b, &info)
	dir := t.TempDir()
	ifsSec, cleoSec := filepath.Join(dir, "ifs"), filepath.Join(dir, "cleo")
	os.WriteFile(ifsSec, []byte(info.IFS.ClientSecret+"\n"), 0o600)
	os.WriteFile(cleoSec, []byte(info.Cleo.Password+"\n"), 0o600)
	dd := t.TempDir()
	if code, _, _ := cli(t, "connect", "--data-dir", dd, "--ifs-url", info.IFS.URL); code != ExitUsage {
		t.Fatalf("incomplete flags accepted: %d", code)
	}
	code, out, errs := cli(t, "connect", "--data-dir", dd, "--secrets-dir", filepath.Join(dd, "secrets"),
		"--ifs-url", info.IFS.URL, "--ifs-token-url", info.IFS.TokenURL, "--ifs-realm", info.IFS.Realm, "--ifs-client-id", info.IFS.ClientID,
		"--ifs-company", info.IFS.Company, "--ifs-secret-file", ifsSec, "--cleo-url", info.Cleo.URL, "--cleo-username", info.Cleo.Username,
		"--cleo-password-file", cleoSec)
	if code != 0 || !strings.Contains(out, "ok   IFS Cloud") {
		t.Fatalf("connect with flags %d:\n%s\n%s", code, out, errs)
	}
}
