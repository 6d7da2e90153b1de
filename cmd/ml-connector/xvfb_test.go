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
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

// buildBinary builds cmd/ml-connector as a user would get it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ml-connector")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// app is the binary running with a window.
type runningApp struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *bytes.Buffer
	window string
}

func startApp(t *testing.T, bin string, args ...string) *runningApp {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// No session bus: the keychain is reported missing at once instead of
	// popping an unlock prompt over the window (the demo then keeps its
	// secrets in memory, labelled as such).
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "FYNE_THEME=dark")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &runningApp{t: t, cmd: cmd, out: &out}
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
	deadline := time.Now().Add(90 * time.Second)
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
	t.Fatalf("fewer than %d exceptions after 90 s", n)
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
	a := startApp(t, bin, "gui", "--data-dir", t.TempDir())
	time.Sleep(3 * time.Second) // let the first frame and the async loads land
	a.screenshot("gui-empty-connections.png")
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

	dir2 := t.TempDir()
	b := startApp(t, bin, "demo", "--data-dir", dir2, "--open", "exceptions")
	waitExceptions(t, bin, dir2, 5)
	time.Sleep(4 * time.Second)
	saveForReadme(t, b.screenshot("demo-exceptions.png"), "exceptions.png")
}
