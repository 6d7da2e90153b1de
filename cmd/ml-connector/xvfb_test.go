package main

// Tests of the real binary under an X server (Xvfb). They run only with
// MLC_XVFB_TESTS=1 and a DISPLAY, as `make test` does through xvfb-run:
//
//	MLC_XVFB_TESTS=1 xvfb-run -a -s "-screen 0 1366x768x24" go test -run Xvfb ./cmd/ml-connector
//
// Screenshots are saved to $MLC_ARTIFACTS (or a temp dir). With
// MLC_UPDATE_SCREENSHOTS=1 the dashboard and exception queue shots also
// replace assets/screenshots/ for the README.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

func xvfbOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("MLC_XVFB_TESTS") != "1" {
		t.Skip("set MLC_XVFB_TESTS=1 and run under xvfb-run")
	}
	if os.Getenv("DISPLAY") == "" {
		t.Fatal("MLC_XVFB_TESTS=1 but no DISPLAY: run under xvfb-run")
	}
	for _, tool := range []string{"xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt-get install xdotool imagemagick)", tool)
		}
	}
}

func artifacts(t *testing.T) string {
	if d := os.Getenv("MLC_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// buildBinary returns $MLC_BINARY (the Makefile's build) or builds
// cmd/ml-connector as a user would get it (core/testharness).
func buildBinary(t *testing.T) string { return testharness.Binary(t) }

// app is the binary running with a window.
type runningApp struct {
	stop   context.CancelFunc // ends the app (and its process group)
	t      *testing.T
	cmd    *exec.Cmd
	out    *bytes.Buffer
	window string
}

func startApp(t *testing.T, bin string, args ...string) *runningApp {
	t.Helper()
	return startAppCmd(t, []string{"DBUS_SESSION_BUS_ADDRESS=disabled:"}, bin, args...)
}

// startAppCmd starts name args with env added to this process's environment
// and waits for the ml-connector window.
func startAppCmd(t *testing.T, env []string, name string, args ...string) *runningApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// By default no session bus ("disabled:"): the keychain is reported
	// missing at once instead of D-Bus autolaunching a locked keyring whose
	// unlock prompt grabs the keyboard and mouse (the demo then keeps its
	// secrets in memory, labelled as such).
	cmd.Env = append(append(os.Environ(), "FYNE_THEME=dark"), env...)
	// Its own process group, so stopping it also stops what it started
	// (dbus-run-session's bus and keyring daemon).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &runningApp{t: t, cmd: cmd, out: &out, stop: cancel}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("app output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		o, err := exec.Command("xdotool", "search", "--name", "^ml-connector").Output()
		if err == nil && len(bytes.TrimSpace(o)) > 0 {
			a.window = strings.Fields(string(o))[0]
			return a
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("no ml-connector window within 60 s")
	return nil
}

// screenshot captures the screen, checks it is not blank and saves it.
func (a *runningApp) screenshot(name string) string {
	a.t.Helper()
	p := filepath.Join(artifacts(a.t), name)
	if out, err := exec.Command("import", "-window", "root", p).CombinedOutput(); err != nil {
		a.t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(p)
	if err != nil {
		a.t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		a.t.Fatal(err)
	}
	if v := variance(img); v < 100 {
		a.t.Fatalf("%s looks blank (luminance variance %.1f)", name, v)
	}
	a.t.Logf("screenshot %s", p)
	return p
}

// variance of the luminance: a blank or single-colour screen is ~0.
func variance(img image.Image) float64 {
	b := img.Bounds()
	var sum, sq, n float64
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			sum += l
			sq += l * l
			n++
		}
	}
	m := sum / n
	return sq/n - m*m
}

// waitExceptions polls the headless CLI on the app's data dir until the
// queue holds at least n exceptions.
func waitExceptions(t *testing.T, bin, dataDir string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(150 * time.Second)
	for time.Now().Before(deadline) {
		out, err := exec.Command(bin, "exceptions", "--json", "--data-dir", dataDir).Output()
		if err == nil {
			var list []map[string]any
			for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
				var m map[string]any
				if json.Unmarshal(line, &m) == nil {
					list = append(list, m)
				}
			}
			if len(list) >= n {
				return list
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("fewer than %d exceptions after 150 s", n)
	return nil
}

func saveForReadme(t *testing.T, src, name string) {
	if os.Getenv("MLC_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join("..", "..", "assets", "screenshots", name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The plain app on an empty data dir: a window, not blank, opening on the
// connections to set up (honest empty states elsewhere).
func TestXvfbAppStartsAndIsNotBlank(t *testing.T) {
	xvfbOnly(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	a := startApp(t, bin, "gui", "--data-dir", dir)
	time.Sleep(3 * time.Second) // let the first frame and the async loads land
	a.screenshot("gui-empty-connections.png")
	// A second launch on the same data dir starts no second engine: it
	// says which process runs it and exits; read commands still work.
	second := exec.Command(bin, "gui", "--data-dir", dir)
	second.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another ml-connector runs the engine on this data dir") || !strings.Contains(string(out), "gui") {
		t.Fatalf("second launch: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "exceptions", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("exceptions beside the app: %v\n%s", err, out)
	}
}

// The demo: sandboxes in process, connections pre-filled, schedules running;
// the dashboard moves and the queue fills with the seeded cases.
func TestXvfbDemoDashboardAndQueue(t *testing.T) {
	xvfbOnly(t)
	bin := buildBinary(t)

	dir := t.TempDir()
	a := startApp(t, bin, "demo", "--data-dir", dir)
	excs := waitExceptions(t, bin, dir, 5)
	reasons := map[string]bool{}
	for _, e := range excs {
		reasons[e["reason"].(string)] = true
	}
	for _, want := range []string{"PARTNER_NOT_MAPPED", "PRICE_VARIANCE", "GL_UNMAPPED"} {
		if !reasons[want] {
			t.Errorf("the demo queue lacks a %s case: %v", want, reasons)
		}
	}
	time.Sleep(4 * time.Second) // the UI reloads on its 1 s tick after the events
	saveForReadme(t, a.screenshot("demo-dashboard.png"), "dashboard.png")
	a.stop() // one app at a time: the second demo gets the whole machine
	_ = a.cmd.Wait()

	dir2 := t.TempDir()
	b := startApp(t, bin, "demo", "--data-dir", dir2, "--open", "exceptions")
	waitExceptions(t, bin, dir2, 5)
	time.Sleep(4 * time.Second)
	saveForReadme(t, b.screenshot("demo-exceptions.png"), "exceptions.png")
}

// The exception queue on a small laptop screen (1024×700, an X server of
// its own): the window fits the screen with the demo's long data, and the
// screenshot goes to the README with MLC_UPDATE_SCREENSHOTS=1.
func TestXvfbQueueAt1024x700(t *testing.T) {
	xvfbOnly(t)
	bin := buildBinary(t)
	t.Setenv("DISPLAY", startXvfb(t, "1024x700x24"))
	// A first start: no window size remembered from another run.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	a := startApp(t, bin, "demo", "--data-dir", dir, "--open", "exceptions")
	waitExceptions(t, bin, dir, 5)
	time.Sleep(4 * time.Second)
	out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", a.window).Output()
	if err != nil {
		t.Fatal(err)
	}
	var w, h int
	for _, line := range strings.Split(string(out), "\n") {
		fmt.Sscanf(line, "WIDTH=%d", &w)
		fmt.Sscanf(line, "HEIGHT=%d", &h)
	}
	if w == 0 || h == 0 || w > 1024 || h > 700 {
		t.Fatalf("the window is %d×%d on a 1024×700 screen", w, h)
	}
	saveForReadme(t, a.screenshot("demo-exceptions-1024.png"), "exceptions-1024.png")
	t.Logf("window %d×%d on a 1024×700 screen", w, h)
}

// xdo runs one xdotool command.
func xdo(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// typeInto clicks a field at (x, y) of the 1280×740 window and types text.
func typeInto(t *testing.T, x, y int, text string) {
	t.Helper()
	xdo(t, "mousemove", fmt.Sprint(x), fmt.Sprint(y), "click", "1")
	time.Sleep(300 * time.Millisecond)
	xdo(t, "key", "ctrl+a")
	xdo(t, "type", "--delay", "20", text)
	time.Sleep(200 * time.Millisecond)
}

// The clerk's journey, keyboard only, in the real binary: find the unknown
// partner's invoice, map the partner to a supplier from its exception and
// replay it until it is posted. The partner is a supplier's new EDI mailbox
// (cleosim.UnknownPartnerSupplier of the demo's seed-1 world); the test
// checks the outcome through the headless CLI.
func TestXvfbClerkMapsUnknownPartnerAndReplays(t *testing.T) {
	xvfbOnly(t)
	sup, po, ok := cleosim.UnknownPartnerSupplier(world.New(1)) // the demo's default seed
	if !ok {
		t.Fatal("the demo world has no supplier behind the unknown partner")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	a := startApp(t, bin, "demo", "--data-dir", dir, "--open", "exceptions")
	waitExceptions(t, bin, dir, 5)
	time.Sleep(3 * time.Second)
	xdo(t, "key", "ctrl+f")
	xdo(t, "type", "--delay", "30", "ORPHAN")
	time.Sleep(2 * time.Second)
	xdo(t, "key", "ctrl+Down") // open the first (only) exception
	time.Sleep(2 * time.Second)
	a.screenshot("clerk-1-unmapped-partner.png")
	xdo(t, "key", "ctrl+m") // the "map to supplier" field
	xdo(t, "key", "ctrl+a")
	xdo(t, "type", "--delay", "30", sup.SupplierID)
	xdo(t, "key", "Return") // map and replay
	deadline := time.Now().Add(60 * time.Second)
	var doc map[string]any
	for time.Now().Before(deadline) {
		doc = findDocument(t, bin, dir, cleosim.UnknownPartnerInvoice)
		settled := doc != nil && (doc["status"] == "posted" || doc["status"] == "exception")
		if settled && doc["reason"] != "PARTNER_NOT_MAPPED" {
			break
		}
		time.Sleep(time.Second)
	}
	if doc == nil || doc["status"] != "posted" || doc["supplier_id"] != sup.SupplierID {
		t.Fatalf("after mapping to %s (%s) and replay, want posted against %s: %v", sup.SupplierID, sup.Name, po.OrderNo, doc)
	}
	t.Logf("%s after the clerk's fix: status %v, supplier %v, PO %s", cleosim.UnknownPartnerInvoice, doc["status"], doc["supplier_id"], po.OrderNo)
	time.Sleep(time.Second)
	a.screenshot("clerk-2-mapped-and-replayed.png")
}

func findDocument(t *testing.T, bin, dir, key string) map[string]any {
	out, err := exec.Command(bin, "documents", "--json", "--data-dir", dir).Output()
	if err != nil {
		return nil
	}
	for _, line := range bytes.Split(out, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["business_key"] == key {
			return m
		}
	}
	return nil
}

// The admin's journey in the real binary: a fresh data dir, the sandboxes as
// a separate process, credentials typed into the Connections screen (secrets
// into a real, unlocked gnome-keyring on a private session bus), both
// connections tested; the engine then starts and the queue fills.
func TestXvfbAdminEntersCredentialsAndTestsBoth(t *testing.T) {
	xvfbOnly(t)
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt-get install dbus-x11 gnome-keyring)", tool)
		}
	}
	bin := buildBinary(t)
	tmp := t.TempDir()
	infoPath := filepath.Join(tmp, "sandbox.json")
	sbCtx, stopSandbox := context.WithCancel(context.Background())
	sb := exec.CommandContext(sbCtx, bin, "sandbox", "--info", infoPath)
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopSandbox(); _ = sb.Wait() })
	var info struct {
		IFS struct {
			URL, Realm, Company string
			ClientID            string `json:"client_id"`
			ClientSecret        string `json:"client_secret"`
		} `json:"ifs"`
		Cleo struct{ URL, Username, Password string } `json:"cleo"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(infoPath)
		if err == nil && json.Unmarshal(b, &info) == nil && info.Cleo.URL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sandbox wrote no info file")
		}
		time.Sleep(200 * time.Millisecond)
	}

	home := filepath.Join(tmp, "home")
	if err := os.MkdirAll(filepath.Join(home, ".local", "share"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The field positions below are those of a 1280×740 window: the size
	// this admin left it at last time (remembered in Fyne's preferences,
	// where the first-run question is answered too: ui.Welcome).
	prefs := filepath.Join(home, ".config", "fyne", appID)
	if err := os.MkdirAll(prefs, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefs, "preferences.json"), []byte(`{"window.width":1280,"window.height":740,"welcome.shown":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(tmp, "data")
	script := `echo -n demo | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" gui --data-dir "$1"`
	a := startAppCmd(t, []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")},
		"dbus-run-session", "--", "bash", "-c", script, bin, dataDir)
	time.Sleep(3 * time.Second) // the app opens on Connections when nothing is set up
	a.screenshot("admin-1-empty-connections.png")
	if out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", a.window).Output(); err != nil || !strings.Contains(string(out), "WIDTH=1280") {
		t.Fatalf("the remembered 1280×740 was not restored: %v\n%s", err, out)
	}

	// Field positions in the 1280×740 window (dark theme, Fyne 2.7.1).
	typeInto(t, 460, 143, info.IFS.URL)
	typeInto(t, 460, 182, info.IFS.Realm)
	typeInto(t, 460, 221, info.IFS.ClientID)
	typeInto(t, 440, 260, info.IFS.ClientSecret)
	typeInto(t, 460, 299, info.IFS.Company)
	typeInto(t, 1060, 182, info.Cleo.URL)
	typeInto(t, 1060, 260, info.Cleo.Username)
	typeInto(t, 1040, 299, info.Cleo.Password)
	xdo(t, "mousemove", "395", "417", "click", "1") // Test IFS connection (saved when it passes)
	time.Sleep(4 * time.Second)
	a.screenshot("admin-2-ifs-tested.png")
	xdo(t, "mousemove", "985", "475", "click", "1") // Test Cleo connection (saved when it passes)
	time.Sleep(4 * time.Second)
	a.screenshot("admin-3-both-tested.png")
	// Both tests passing starts the engine and a first sync: the queue fills.
	waitExceptions(t, bin, dataDir, 5)
}

// A clerk's delivery failure: the sandbox (its own process) has one
// partner down, so Cleo's transfers of its 850s fail; the first sync makes
// them DELIVERY_FAILED exceptions. The partner comes back; the clerk finds
// one in the queue and replays it in the real window: Cleo re-runs the
// send of the queued file (no second upload) and it is delivered.
func TestXvfbClerkReplaysFailedDelivery(t *testing.T) {
	xvfbOnly(t)
	bin := buildBinary(t)
	w := world.New(1) // the sandbox's seed
	sup, _ := w.SupplierByID(w.PurchaseOrders[0].SupplierID)
	info := testharness.StartSandbox(t, func(args ...string) *exec.Cmd { return exec.Command(bin, args...) }, "--rate-limit", "0")
	setFaults := func(f cleosim.Faults) {
		t.Helper()
		b, _ := json.Marshal(f)
		req, _ := http.NewRequest(http.MethodPut, info.Cleo.ControlURL+"/faults", bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("set Cleo faults: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	setFaults(cleosim.Faults{FailTo: sup.Partner.Alias})
	dir := t.TempDir()
	sec := filepath.Join(dir, "secrets")
	for _, args := range [][]string{
		{"connect", "--data-dir", dir, "--sandbox", info.Path, "--secrets-dir", sec, "--no-test"},
		{"sync", "--once", "--data-dir", dir, "--secrets-dir", sec},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil && args[0] == "connect" {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	failedBefore := deliveryFailures(t, bin, dir)
	if failedBefore == 0 {
		t.Fatalf("no DELIVERY_FAILED after a sync with %s down", sup.Partner.Alias)
	}
	setFaults(cleosim.Faults{}) // the partner is back
	a := startApp(t, bin, "gui", "--data-dir", dir, "--open", "exceptions")
	time.Sleep(3 * time.Second)
	xdo(t, "key", "ctrl+f")
	xdo(t, "type", "--delay", "30", "could not deliver")
	time.Sleep(2 * time.Second)
	xdo(t, "key", "ctrl+Down") // open the first delivery failure
	time.Sleep(2 * time.Second)
	a.screenshot("clerk-3-delivery-failed.png")
	xdo(t, "key", "ctrl+r") // replay
	deadline := time.Now().Add(60 * time.Second)
	delivered := 0
	for time.Now().Before(deadline) {
		delivered = 0
		out, _ := exec.Command(bin, "documents", "--json", "--data-dir", dir, "--type", "850").Output()
		for _, line := range bytes.Split(out, []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(line, &m) == nil && m["supplier_id"] == sup.SupplierID && m["delivery"] == "delivered" && m["status"] == "sent" {
				delivered++
			}
		}
		if delivered > 0 && deliveryFailures(t, bin, dir) < failedBefore {
			break
		}
		time.Sleep(time.Second)
	}
	if delivered == 0 {
		t.Fatalf("after the replay no 850 to %s is delivered (%d delivery failures before)", sup.Partner.Alias, failedBefore)
	}
	t.Logf("%d delivery failures before; after one replay in the window %d 850s to %s are delivered", failedBefore, delivered, sup.Partner.Alias)
	time.Sleep(time.Second)
	a.screenshot("clerk-4-delivery-replayed.png")
}

// deliveryFailures counts open DELIVERY_FAILED exceptions through the CLI.
func deliveryFailures(t *testing.T, bin, dir string) int {
	out, _ := exec.Command(bin, "exceptions", "--json", "--data-dir", dir).Output()
	n := 0
	for _, line := range bytes.Split(out, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["reason"] == "DELIVERY_FAILED" {
			n++
		}
	}
	return n
}
