package cleo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// FolderConfig configures the folder transport: a Harmony/VLTrader mailbox
// on a local disk or a mounted share.
type FolderConfig struct {
	// Root is the mailbox directory; Layout's folders are relative to it.
	Root   string
	Layout Layout
	// Now is the clock used to judge whether a file is still being written;
	// default time.Now.
	Now func() time.Time
}

// Folder is the folder transport.
type Folder struct {
	cfg FolderConfig
	mb  *mailbox
}

// NewFolder returns a folder transport. The root must exist; the inbox,
// outbox and processed folders are created when first needed.
func NewFolder(cfg FolderConfig) (*Folder, error) {
	if cfg.Root == "" {
		return nil, &Error{Op: "configure folder", Kind: domain.KindConfig, Message: "no mailbox folder configured"}
	}
	fi, err := os.Stat(cfg.Root)
	if err != nil {
		return nil, &Error{Op: "configure folder", Kind: domain.KindConfig, Message: "mailbox folder not reachable", Err: err}
	}
	if !fi.IsDir() {
		return nil, &Error{Op: "configure folder", Kind: domain.KindConfig, Message: cfg.Root + " is not a folder"}
	}
	return &Folder{cfg: cfg, mb: newMailbox(localFS{root: cfg.Root}, cfg.Layout, cfg.Now)}, nil
}

// Partners returns the configured partners.
func (f *Folder) Partners(ctx context.Context) ([]domain.Partner, error) { return f.mb.partners(), nil }

// Inbound lists complete files in the inbox, oldest first.
func (f *Folder) Inbound(ctx context.Context) ([]domain.RemoteFile, error) { return f.mb.inbound(ctx) }

// Open opens an inbound file.
func (f *Folder) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	return f.mb.open(ctx, id)
}

// Ack moves the file to the processed folder.
func (f *Folder) Ack(ctx context.Context, id string) error { return f.mb.ack(ctx, id) }

// Send writes the file atomically into the outbox (temp file, fsync,
// rename that never replaces an existing file).
func (f *Folder) Send(ctx context.Context, partner domain.Partner, name string, content io.Reader) (domain.SendResult, error) {
	return f.mb.send(ctx, partner, name, content)
}

// SetPartnerExternalID is not supported: a folder has no partner records.
func (f *Folder) SetPartnerExternalID(ctx context.Context, partnerID, supplierID string) error {
	return unsupported("set external id of "+partnerID, "a folder mailbox has no partner records; keep the mapping in ml-connector")
}

// TestConnection checks the folders.
func (f *Folder) TestConnection(ctx context.Context) domain.TestReport {
	rep := domain.TestReport{Target: "Cleo (folder)"}
	t0 := time.Now()
	fi, err := os.Stat(f.cfg.Root)
	s := domain.TestStep{Name: "Open mailbox folder", OK: err == nil && fi.IsDir(), Duration: time.Since(t0)}
	if s.OK {
		s.Detail = f.cfg.Root
	} else {
		s.Detail = fmt.Sprintf("%s: %v", f.cfg.Root, err)
		s.Fix = "Check the folder path and that the share is mounted and writable by the account ml-connector runs as."
	}
	rep.Steps = append(rep.Steps, s)
	if !s.OK {
		rep.Steps = append(rep.Steps, domain.TestStep{Name: "List partners", Skipped: true}, domain.TestStep{Name: "List inbound files", Skipped: true})
		return rep
	}
	f.mb.testSteps(ctx, &rep, f.cfg.Root)
	return rep
}

// Close does nothing; it exists for the Transport interface.
func (f *Folder) Close() error { return nil }

// localFS is mailboxFS on the local file system.
type localFS struct{ root string }

func (l localFS) abs(name string) string { return filepath.Join(l.root, filepath.FromSlash(name)) }

func (l localFS) ReadDir(_ context.Context, dir string) ([]fs.FileInfo, error) {
	ents, err := os.ReadDir(l.abs(dir))
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue // vanished between readdir and stat
		}
		out = append(out, fi)
	}
	return out, nil
}

func (l localFS) Stat(_ context.Context, name string) (fs.FileInfo, error) {
	return os.Stat(l.abs(name))
}

func (l localFS) Open(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(l.abs(name))
}

func (l localFS) MkdirAll(_ context.Context, dir string) error { return os.MkdirAll(l.abs(dir), 0o750) }

func (l localFS) Remove(_ context.Context, name string) error { return os.Remove(l.abs(name)) }

func (l localFS) Move(_ context.Context, from, to string) error {
	src, dst := l.abs(from), l.abs(to)
	if err := os.Link(src, dst); err == nil {
		return os.Remove(src)
	} else if errors.Is(err, fs.ErrExist) {
		return err
	} else if _, serr := os.Lstat(src); errors.Is(serr, fs.ErrNotExist) {
		return serr
	}
	// Hard links unsupported (some SMB shares): check, then rename.
	if _, err := os.Lstat(dst); err == nil {
		return fs.ErrExist
	}
	return os.Rename(src, dst)
}

func (l localFS) WriteNew(ctx context.Context, dir, name string, content io.Reader) (bool, error) {
	final := l.abs(dir + "/" + name)
	if _, err := os.Lstat(final); err == nil {
		return true, nil
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmpRel := dir + "/." + name + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	tmp := l.abs(tmpRel)
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp) // no-op once renamed or linked and removed
	if _, err := io.Copy(fh, content); err != nil {
		fh.Close()
		return false, err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return false, err
	}
	if err := fh.Close(); err != nil {
		return false, err
	}
	err = l.Move(ctx, tmpRel, dir+"/"+name)
	if errors.Is(err, fs.ErrExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	syncDir(filepath.Dir(final))
	return false, nil
}

// syncDir makes a rename durable where the OS supports it (best effort:
// Windows and some network file systems refuse to fsync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
