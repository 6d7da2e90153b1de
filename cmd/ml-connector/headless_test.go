package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Headless commands print nothing from the GUI toolkit on stderr, with the
// locales containers, CI and systemd units use.
func TestHeadlessCommandsPrintNoToolkitNoise(t *testing.T) {
	if os.Getenv("MLC_PROCESS_TESTS") != "1" {
		t.Skip("set MLC_PROCESS_TESTS=1 (make test-gui) to run the real binary")
	}
	bin := buildBinary(t)
	junk := filepath.Join(t.TempDir(), "junk.txt")
	os.WriteFile(junk, []byte("not EDI"), 0o600)
	for _, lang := range []string{"C", "C.UTF-8", "POSIX", "en_US.UTF-8", ""} {
		for _, args := range [][]string{{"version"}, {"help"}, {"edi", "parse", junk}, {"--data-dir", t.TempDir(), "exceptions"}} {
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "LANG="+lang, "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", "DBUS_SESSION_BUS_ADDRESS=disabled:")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			_ = cmd.Run()
			if strings.Contains(stderr.String(), "Fyne") || strings.Contains(stderr.String(), "locale") {
				t.Errorf("LANG=%q %v printed toolkit noise:\n%s", lang, args, stderr.String())
			}
		}
	}
}
