package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedaction(t *testing.T) {
	r := &Redactor{}
	r.Add("s3cr3t-client-value", "x") // "x" is too short to register
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, nil), r))
	wrapped := fmt.Errorf("token call: %w", errors.New("bad secret s3cr3t-client-value"))
	log.Info("calling with s3cr3t-client-value",
		"client_secret", "anything",
		"Authorization", "Bearer abc.def",
		"url", "https://h/x?access_token=eyJhbGciOi&y=1",
		"err", wrapped,
		slog.Group("conn", "password", "pw123456", "user", "alice"),
		"body", "grant_type=password&username=u&password=hunter22",
		"note", "x marks the spot",
	)
	out := buf.String()
	for _, leak := range []string{"s3cr3t-client-value", "anything", "abc.def", "eyJhbGciOi", "pw123456", "hunter22"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	for _, keep := range []string{"alice", "y=1", "x marks the spot", "token call"} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lost %q:\n%s", keep, out)
		}
	}
}

func TestWithAttrsRedacts(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, nil), &Redactor{}))
	log.With("refresh_token", "rt-value-1").Info("hi")
	if strings.Contains(buf.String(), "rt-value-1") {
		t.Fatal(buf.String())
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	w, err := NewRotatingWriter(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 39) + "\n")
	for i := 0; i < 20; i++ {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, name := range []string{"a.log", "a.log.1", "a.log.2"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Size() > 100 {
			t.Errorf("%s is %d bytes, over the bound", name, st.Size())
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.log.3")); !os.IsNotExist(err) {
		t.Errorf("kept more than 2 rotated files: %v", err)
	}
}

func TestNewWritesFileAndStderr(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	Redact("planted-secret-42")
	log, c, err := New(Options{File: filepath.Join(dir, "l.log"), Stderr: &stderr, StderrLevel: slog.LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "v", "planted-secret-42")
	c.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "l.log"))
	if !strings.Contains(string(b), "hello") || !strings.Contains(stderr.String(), "hello") {
		t.Fatalf("file %q stderr %q", b, stderr.String())
	}
	if strings.Contains(string(b)+stderr.String(), "planted-secret-42") {
		t.Fatal("secret reached a log")
	}
}
