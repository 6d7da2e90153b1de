// Package logging sets up the app's structured log: log/slog to a
// size-bounded rotating file in the data dir and to stderr, behind a handler
// that redacts secrets before anything is formatted.
//
// Redaction works two ways, because neither alone is enough: attributes whose
// key names a secret (password, token, client_secret …) are masked whatever
// their value, and every secret value the app has loaded (registered with
// Redact) is masked wherever it appears, in messages, attribute values and
// wrapped error text. Bearer tokens and token fields in URLs or form bodies
// are masked by pattern.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces every redacted value.
const Mask = "[REDACTED]"

// Options configures New.
type Options struct {
	// File is the log file path; empty for no file.
	File string
	// MaxBytes is the size at which the file rotates (default 5 MiB).
	MaxBytes int64
	// Keep is how many rotated files are kept (default 3).
	Keep int
	// Stderr receives the same records at StderrLevel; nil for none.
	Stderr      io.Writer
	StderrLevel slog.Level
	// FileLevel is the level written to the file (default Info).
	FileLevel slog.Level
}

// New builds the logger. Close the returned closer on exit to flush the file.
func New(o Options) (*slog.Logger, io.Closer, error) {
	var handlers []slog.Handler
	var closer io.Closer = nopCloser{}
	if o.File != "" {
		rw, err := NewRotatingWriter(o.File, o.MaxBytes, o.Keep)
		if err != nil {
			return nil, nil, err
		}
		closer = rw
		handlers = append(handlers, slog.NewJSONHandler(rw, &slog.HandlerOptions{Level: o.FileLevel}))
	}
	if o.Stderr != nil {
		handlers = append(handlers, slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: o.StderrLevel}))
	}
	var h slog.Handler
	switch len(handlers) {
	case 0:
		h = slog.NewTextHandler(io.Discard, nil)
	case 1:
		h = handlers[0]
	default:
		h = fanout(handlers)
	}
	return slog.New(NewRedactingHandler(h, Default)), closer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// Redactor holds the secret values to mask.
type Redactor struct {
	mu     sync.RWMutex
	values []string
}

// Default is the process-wide redactor: secrets loaded from the keychain are
// registered here so every logger masks them.
var Default = &Redactor{}

// Redact registers secret values (empty and very short values are ignored:
// masking "a" everywhere would make logs unreadable and protect nothing).
func Redact(values ...string) { Default.Add(values...) }

// Add registers secret values on r.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < 4 {
			continue
		}
		dup := false
		for _, have := range r.values {
			if have == v {
				dup = true
				break
			}
		}
		if !dup {
			r.values = append(r.values, v)
		}
	}
}

var patterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*`),
	regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|password|passwd|secret|api_key|apikey)["']?\s*[=:]\s*["']?)[^&"'\s,}]+`),
}

// String masks every registered secret and every secret-looking pattern in s.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, v := range r.values {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, Mask)
			}
		}
		r.mu.RUnlock()
	}
	for _, p := range patterns {
		s = p.ReplaceAllString(s, "${1}"+Mask)
	}
	return s
}

// secretKey reports whether an attribute key names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "private_key", "cookie", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// RedactingHandler masks secrets in records before the wrapped handler sees them.
type RedactingHandler struct {
	next slog.Handler
	r    *Redactor
}

// NewRedactingHandler wraps next.
func NewRedactingHandler(next slog.Handler, r *Redactor) *RedactingHandler {
	return &RedactingHandler{next: next, r: r}
}

// Enabled implements slog.Handler.
func (h *RedactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h *RedactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *RedactingHandler) attr(a slog.Attr) slog.Attr {
	if secretKey(a.Key) {
		return slog.String(a.Key, Mask)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.String(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		masked := make([]any, 0, len(attrs))
		for _, g := range attrs {
			masked = append(masked, h.attr(g))
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		// Errors, structs and stringers are formatted here so their text is
		// masked too; the wrapped handler then sees only a string.
		return slog.String(a.Key, h.r.String(fmt.Sprint(v.Any())))
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}

// WithAttrs implements slog.Handler.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.attr(a)
	}
	return &RedactingHandler{next: h.next.WithAttrs(masked), r: h.r}
}

// WithGroup implements slog.Handler.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{next: h.next.WithGroup(name), r: h.r}
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// RotatingWriter is an io.Writer over a file that is renamed to .1 (and older
// copies shifted up to Keep) once it reaches MaxBytes, so a connector left
// running for months cannot fill the disk.
type RotatingWriter struct {
	mu       sync.Mutex
	path     string
	maxBytes int64
	keep     int
	f        *os.File
	size     int64
}

// NewRotatingWriter opens (appending) or creates path with mode 0600.
func NewRotatingWriter(path string, maxBytes int64, keep int) (*RotatingWriter, error) {
	if maxBytes <= 0 {
		maxBytes = 5 << 20
	}
	if keep <= 0 {
		keep = 3
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	w := &RotatingWriter{path: path, maxBytes: maxBytes, keep: keep}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *RotatingWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log %s: %w", w.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log %s: %w", w.path, err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// Write implements io.Writer; a record is never split across files.
func (w *RotatingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, os.ErrClosed
	}
	if w.size > 0 && w.size+int64(len(p)) > w.maxBytes {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *RotatingWriter) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	for i := w.keep - 1; i >= 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", w.path, i), fmt.Sprintf("%s.%d", w.path, i+1))
	}
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return fmt.Errorf("rotate log: %w", err)
	}
	return w.open()
}

// Close closes the current file.
func (w *RotatingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
