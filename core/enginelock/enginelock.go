// Package enginelock makes sure one process at a time runs the engine's
// flows on a data dir: the desktop app, `ml-connector run` and `sync` take
// the lock; the read commands (exceptions, documents, audit …) and single
// clerk actions (replay, decide) do not need it. Two engines polling one
// mailbox and posting from one database is exactly what must not happen.
//
// The lock is an advisory lock on a file (flock on Unix), so it goes away
// with its process, crash or SIGKILL included: no stale lock to clean up.
// The file names the holder (pid, command, start), for the message a
// second launch gives.
package enginelock

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrHeld is matched (errors.Is) by the error Acquire returns when
// another process holds the lock; the error's text names that process.
var ErrHeld = errors.New("another ml-connector runs the engine on this data dir")

// HeldError says who holds the lock.
type HeldError struct {
	Holder string // "pid 1234, gui, since 2026-12-03 19:40:00 UTC"
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s (%s): use that one, or stop it first; read commands (exceptions, documents, audit) still work beside it",
		ErrHeld, e.Holder)
}

// Is makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lock is a held engine lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock at path for command (e.g. "gui", "run"),
// without waiting. A *HeldError when another live process holds it.
func Acquire(path, command string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("engine lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "a process that has not said who it is"
			}
			return nil, &HeldError{Holder: h}
		}
		return nil, fmt.Errorf("engine lock %s: %w", path, err)
	}
	desc := fmt.Sprintf("pid %d, %s, since %s", os.Getpid(), command, time.Now().UTC().Format("2006-01-02 15:04:05 MST"))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(desc+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up (closing the file drops it).
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}
