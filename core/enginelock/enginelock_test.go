package enginelock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The lock is held across processes, names its holder, and is released
// by Release and by the holder's death.
func TestOneEnginePerDataDir(t *testing.T) {
	if os.Getenv("MLC_ENGINELOCK_CHILD") != "" {
		l, err := Acquire(os.Getenv("MLC_ENGINELOCK_CHILD"), "child")
		if err != nil {
			os.Exit(3)
		}
		defer l.Release()
		os.Stdout.WriteString("locked\n")
		var b [1]byte
		os.Stdin.Read(b[:]) // hold until the parent says
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "engine.lock")
	l, err := Acquire(path, "gui")
	if err != nil {
		t.Fatal(err)
	}
	// Another process cannot take it while it is held.
	cmd := exec.Command(os.Args[0], "-test.run=TestOneEnginePerDataDir")
	cmd.Env = append(os.Environ(), "MLC_ENGINELOCK_CHILD="+path)
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("a second process took the lock: %v", err)
	}
	l.Release()
	// A process holds it; we are told who; its death frees it.
	cmd = exec.Command(os.Args[0], "-test.run=TestOneEnginePerDataDir")
	cmd.Env = append(os.Environ(), "MLC_ENGINELOCK_CHILD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("child: %q %v", buf, err)
	}
	_, err = Acquire(path, "run")
	var he *HeldError
	if !errors.Is(err, ErrHeld) || !errors.As(err, &he) || !strings.Contains(he.Holder, "child") ||
		!strings.Contains(err.Error(), "read commands") {
		t.Fatalf("second acquire: %v", err)
	}
	cmd.Process.Kill() // SIGKILL: no chance to release
	cmd.Wait()
	stdin.Close()
	l2, err := Acquire(path, "run")
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	l2.Release()
}
