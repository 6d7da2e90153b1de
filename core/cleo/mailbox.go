package cleo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Layout describes a file-shaped mailbox (the folder and SFTP transports):
// where inbound files wait, where outbound files go, and which partners
// exist, since a file system has no partner API.
type Layout struct {
	// Inbox, Outbox and Processed are folders relative to the mailbox root;
	// defaults "inbox", "outbox" and "processed". Ack moves a file from
	// Inbox to Processed.
	Inbox, Outbox, Processed string
	// Sent is where the network moves outbound files once it has taken them
	// (Harmony's "sentbox"); when set, Send also looks there for a name that
	// was already delivered. Empty: only the outbox is checked.
	Sent string
	// PerPartner puts every partner in its own subfolder (inbox/ACME/…,
	// outbox/ACME/…) named after its alias. When false the folders are flat
	// and an inbound file's partner is read from the ISA header in the file.
	PerPartner bool
	// Partners are the trading partners of this mailbox. ID defaults to Alias.
	Partners []domain.Partner
	// StableFor is how old a file must be to be picked up at once; a younger
	// one is picked up only when a second poll sees the same size and
	// modification time (it may still be being written). Default 10 s;
	// negative disables the check.
	StableFor time.Duration
	// Marker, when set (e.g. ".ready" or ".done"), makes a file visible only
	// once a companion file with this suffix exists, for writers that signal
	// completion that way. The marker is moved along on Ack.
	Marker string
}

func (l Layout) withDefaults() Layout {
	if l.Inbox == "" {
		l.Inbox = "inbox"
	}
	if l.Outbox == "" {
		l.Outbox = "outbox"
	}
	if l.Processed == "" {
		l.Processed = "processed"
	}
	if l.StableFor == 0 {
		l.StableFor = 10 * time.Second
	}
	ps := make([]domain.Partner, len(l.Partners))
	for i, p := range l.Partners {
		if p.ID == "" {
			p.ID = p.Alias
		}
		ps[i] = p
	}
	l.Partners = ps
	return l
}

// mailboxFS is the little file system the mailbox needs; paths are
// slash-separated and relative to the mailbox root.
type mailboxFS interface {
	ReadDir(ctx context.Context, dir string) ([]fs.FileInfo, error)
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	MkdirAll(ctx context.Context, dir string) error
	// WriteNew writes content to dir/name through a temporary name and a
	// rename that never replaces: exists is true (and nothing is changed)
	// when dir/name is already there.
	WriteNew(ctx context.Context, dir, name string, content io.Reader) (exists bool, err error)
	// Move renames from to to, not replacing an existing to (fs.ErrExist).
	Move(ctx context.Context, from, to string) error
	Remove(ctx context.Context, name string) error
}

// mailbox implements the Transport methods over a mailboxFS.
type mailbox struct {
	fs     mailboxFS
	layout Layout
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]fileStamp // young files as seen by the previous poll
}

type fileStamp struct {
	size  int64
	mtime time.Time
}

func newMailbox(f mailboxFS, l Layout, now func() time.Time) *mailbox {
	if now == nil {
		now = time.Now
	}
	return &mailbox{fs: f, layout: l.withDefaults(), now: now, seen: map[string]fileStamp{}}
}

func (m *mailbox) partners() []domain.Partner {
	return append([]domain.Partner(nil), m.layout.Partners...)
}

func (m *mailbox) partnerByAlias(alias string) (domain.Partner, bool) {
	for _, p := range m.layout.Partners {
		if p.Alias == alias {
			return p, true
		}
	}
	return domain.Partner{}, false
}

func (m *mailbox) partnerByISA(qual, id string) (domain.Partner, bool) {
	for _, p := range m.layout.Partners {
		if strings.EqualFold(strings.TrimSpace(p.ISAQualifier), strings.TrimSpace(qual)) &&
			strings.EqualFold(strings.TrimSpace(p.ISAID), strings.TrimSpace(id)) {
			return p, true
		}
	}
	return domain.Partner{}, false
}

// skipName reports names that are never inbound documents: hidden and
// partial uploads of common clients, and marker files.
func (m *mailbox) skipName(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
		return true
	}
	for _, suf := range []string{".tmp", ".part", ".filepart", ".partial", ".crdownload"} {
		if strings.HasSuffix(lower, suf) {
			return true
		}
	}
	return m.layout.Marker != "" && strings.HasSuffix(name, m.layout.Marker)
}

func (m *mailbox) inbound(ctx context.Context) ([]domain.RemoteFile, error) {
	type cand struct {
		id, dir string
		info    fs.FileInfo
		partner *domain.Partner
	}
	var cands []cand
	list := func(dir, prefix string, partner *domain.Partner) error {
		infos, err := m.fs.ReadDir(ctx, dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		names := map[string]bool{}
		for _, fi := range infos {
			names[fi.Name()] = true
		}
		for _, fi := range infos {
			if fi.IsDir() || !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 || m.skipName(fi.Name()) {
				continue
			}
			if m.layout.Marker != "" && !names[fi.Name()+m.layout.Marker] {
				continue
			}
			cands = append(cands, cand{id: prefix + fi.Name(), dir: dir, info: fi, partner: partner})
		}
		return nil
	}
	inbox := m.layout.Inbox
	if m.layout.PerPartner {
		infos, err := m.fs.ReadDir(ctx, inbox)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, wrapErr("list inbound", err)
		}
		for _, fi := range infos {
			if !fi.IsDir() || strings.HasPrefix(fi.Name(), ".") {
				continue
			}
			var pp *domain.Partner
			if p, ok := m.partnerByAlias(fi.Name()); ok {
				pp = &p
			}
			if err := list(path.Join(inbox, fi.Name()), fi.Name()+"/", pp); err != nil {
				return nil, wrapErr("list inbound", err)
			}
		}
	} else if err := list(inbox, "", nil); err != nil {
		return nil, wrapErr("list inbound", err)
	}

	now := m.now()
	m.mu.Lock()
	prev := m.seen
	m.seen = map[string]fileStamp{}
	var ready []cand
	for _, c := range cands {
		st := fileStamp{size: c.info.Size(), mtime: c.info.ModTime()}
		young := m.layout.StableFor > 0 && m.layout.Marker == "" && now.Sub(st.mtime) < m.layout.StableFor
		if young {
			m.seen[c.id] = st
			if p, ok := prev[c.id]; !ok || p != st {
				continue // still being written, or first sight: wait for the next poll
			}
		}
		ready = append(ready, c)
	}
	m.mu.Unlock()

	out := make([]domain.RemoteFile, 0, len(ready))
	for _, c := range ready {
		rf := domain.RemoteFile{ID: c.id, Name: c.info.Name(), Size: c.info.Size(), Created: c.info.ModTime().UTC()}
		head, err := m.head(ctx, path.Join(c.dir, c.info.Name()))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // acked by someone else meanwhile
			}
			return nil, wrapErr("read inbound "+c.id, err)
		}
		sn := sniffX12(head)
		rf.DocumentType = sn.docType
		p := c.partner
		if p == nil && sn.senderID != "" {
			if found, ok := m.partnerByISA(sn.senderQual, sn.senderID); ok {
				p = &found
			}
		}
		if p != nil {
			rf.PartnerID, rf.PartnerAlias = p.ID, p.Alias
		} else if m.layout.PerPartner {
			rf.PartnerAlias = strings.SplitN(c.id, "/", 2)[0]
		}
		out = append(out, rf)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// head reads the start of a file, enough for the ISA and the first ST.
func (m *mailbox) head(ctx context.Context, name string) ([]byte, error) {
	rc, err := m.fs.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	return b, err
}

// checkID validates an inbound id (a path relative to the inbox).
func (m *mailbox) checkID(id string) error {
	parts := strings.Split(id, "/")
	ok := id != "" && path.Clean(id) == id && !path.IsAbs(id) && !strings.Contains(id, "\\")
	for _, p := range parts {
		if p == ".." || p == "." || p == "" {
			ok = false
		}
	}
	if !ok || len(parts) > 2 || len(parts) == 2 && !m.layout.PerPartner {
		return &Error{Op: "check id", Kind: domain.KindInvalid, Message: fmt.Sprintf("invalid file id %q", id)}
	}
	return nil
}

func (m *mailbox) open(ctx context.Context, id string) (io.ReadCloser, error) {
	op := "open " + id
	if err := m.checkID(id); err != nil {
		return nil, wrapErr(op, err)
	}
	rc, err := m.fs.Open(ctx, path.Join(m.layout.Inbox, id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Op: op, Kind: domain.KindNotFound, Message: "no such inbound file", Err: err}
		}
		return nil, wrapErr(op, err)
	}
	return rc, nil
}

func (m *mailbox) ack(ctx context.Context, id string) error {
	op := "ack " + id
	if err := m.checkID(id); err != nil {
		return wrapErr(op, err)
	}
	from := path.Join(m.layout.Inbox, id)
	to := path.Join(m.layout.Processed, id)
	if _, err := m.fs.Stat(ctx, from); errors.Is(err, fs.ErrNotExist) {
		return nil // already acked: idempotent
	}
	if err := m.fs.MkdirAll(ctx, path.Dir(to)); err != nil {
		return wrapErr(op, err)
	}
	err := m.fs.Move(ctx, from, to)
	if errors.Is(err, fs.ErrExist) {
		// The partner sent a file of the same name before: keep both.
		to = fmt.Sprintf("%s.%s", to, m.now().UTC().Format("20060102T150405.000000000"))
		err = m.fs.Move(ctx, from, to)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a concurrent ack won
	}
	if err != nil {
		return wrapErr(op, err)
	}
	if m.layout.Marker != "" {
		_ = m.fs.Move(ctx, from+m.layout.Marker, to+m.layout.Marker)
	}
	return nil
}

func (m *mailbox) resolvePartner(p domain.Partner) (domain.Partner, error) {
	for _, q := range m.layout.Partners {
		if p.ID != "" && q.ID == p.ID || p.ID == "" && q.Alias == p.Alias {
			return q, nil
		}
	}
	if p.Alias == "" {
		return p, &Error{Op: "find partner", Kind: domain.KindNotFound, Message: fmt.Sprintf("partner %q is not configured for this mailbox", p.ID)}
	}
	return p, nil
}

func (m *mailbox) send(ctx context.Context, partner domain.Partner, name string, content io.Reader) (domain.SendResult, error) {
	op := "send " + name
	if err := CheckName(name); err != nil {
		return domain.SendResult{}, err
	}
	res := domain.SendResult{Name: name}
	dir, sent := m.layout.Outbox, m.layout.Sent
	if m.layout.PerPartner {
		p, err := m.resolvePartner(partner)
		if err != nil {
			return res, wrapErr(op, err)
		}
		if err := CheckName(p.Alias); err != nil {
			return res, wrapErr(op, err)
		}
		dir = path.Join(dir, p.Alias)
		if sent != "" {
			sent = path.Join(sent, p.Alias)
		}
	}
	res.ID = path.Join(dir, name)
	if sent != "" {
		if _, err := m.fs.Stat(ctx, path.Join(sent, name)); err == nil {
			res.AlreadyPresent = true
			return res, nil
		}
	}
	if err := m.fs.MkdirAll(ctx, dir); err != nil {
		return res, wrapErr(op, err)
	}
	exists, err := m.fs.WriteNew(ctx, dir, name, content)
	if err != nil {
		return res, wrapErr(op, err)
	}
	res.AlreadyPresent = exists
	return res, nil
}

// testConnection runs the listing steps shared by file-shaped transports.
func (m *mailbox) testSteps(ctx context.Context, rep *domain.TestReport, where string) {
	step := func(name string, f func() (string, string, error)) bool {
		t0 := time.Now()
		detail, fix, err := f()
		s := domain.TestStep{Name: name, OK: err == nil, Detail: detail, Fix: fix, Duration: time.Since(t0)}
		if err != nil {
			s.Detail = err.Error()
		}
		rep.Steps = append(rep.Steps, s)
		return err == nil
	}
	ok := step("List partners", func() (string, string, error) {
		n := len(m.layout.Partners)
		if n == 0 {
			return "", "Add the trading partners of this mailbox (alias and ISA qualifier/id) in the connection settings.",
				errors.New("no partners configured")
		}
		return fmt.Sprintf("%d partners configured", n), "", nil
	})
	if !ok {
		rep.Steps = append(rep.Steps, domain.TestStep{Name: "List inbound files", Skipped: true})
		return
	}
	step("List inbound files", func() (string, string, error) {
		if _, err := m.fs.Stat(ctx, m.layout.Inbox); err != nil {
			return "", fmt.Sprintf("Create the folder %q in %s or correct the inbox folder setting; the account needs read and write access to it.", m.layout.Inbox, where), err
		}
		files, err := m.inbound(ctx)
		if err != nil {
			return "", fmt.Sprintf("Check that the account may read %q in %s.", m.layout.Inbox, where), err
		}
		return fmt.Sprintf("%d files waiting", len(files)), "", nil
	})
}

// sniff is what the start of an X12 file says about itself.
type sniff struct {
	senderQual, senderID string
	docType              string // ST01 of the first set
}

// sniffX12 reads the ISA sender and the first ST01 from the start of a file.
// It is deliberately lenient and small: it only routes files, the real
// parsing is core/x12's.
func sniffX12(b []byte) sniff {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(b) < 106 || !bytes.HasPrefix(b, []byte("ISA")) {
		return sniff{}
	}
	elem := b[3]
	term := b[105]
	isa := strings.Split(string(b[:105]), string(elem))
	if len(isa) < 17 {
		return sniff{}
	}
	s := sniff{senderQual: strings.TrimSpace(isa[5]), senderID: strings.TrimSpace(isa[6])}
	for seg := range bytes.SplitSeq(b[106:], []byte{term}) {
		seg = bytes.TrimSpace(seg)
		if bytes.HasPrefix(seg, []byte{'S', 'T', elem}) {
			f := bytes.SplitN(seg, []byte{elem}, 3)
			if len(f) >= 2 {
				s.docType = string(f[1])
			}
			break
		}
	}
	return s
}
