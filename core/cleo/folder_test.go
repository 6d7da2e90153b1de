package cleo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/domain"
)

var testPartner = domain.Partner{Alias: "ACME", ISAQualifier: "ZZ", ISAID: "ACMEFASTEN", OurQualifier: "ZZ", OurID: "MLCONNECTOR", ExternalID: "SUP1001", Enabled: true}

// testClock is a settable clock shared by a folder transport and its test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fileEnv is the server side of a file-shaped mailbox rooted at root.
func fileEnv(t *testing.T, root string, layout cleo.Layout, clock *testClock, newT func(t *testing.T) cleo.Transport) *cleotest.Env {
	sub := func(folder string) string {
		if layout.PerPartner {
			return filepath.Join(root, folder, testPartner.Alias)
		}
		return filepath.Join(root, folder)
	}
	inbox, outbox := sub(orDefault(layout.Inbox, "inbox")), sub(orDefault(layout.Outbox, "outbox"))
	env := &cleotest.Env{
		New:                 newT,
		PartnerAlias:        testPartner.Alias,
		PartnerISAQualifier: testPartner.ISAQualifier,
		PartnerISAID:        testPartner.ISAID,
		Put: func(t *testing.T, name string, content []byte, created time.Time) {
			if err := os.MkdirAll(inbox, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(inbox, name)
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, created, created); err != nil {
				t.Fatal(err)
			}
		},
		Sent: func(t *testing.T, name string) ([]byte, int) {
			ents, _ := os.ReadDir(outbox)
			n := 0
			for _, e := range ents {
				if strings.Contains(e.Name(), name) {
					n++ // a leftover temp file would count too
				}
			}
			b, err := os.ReadFile(filepath.Join(outbox, name))
			if err != nil {
				return nil, 0
			}
			return b, n
		},
	}
	if clock != nil {
		env.HalfWrite = func(t *testing.T, name string, partial []byte) (func([]byte), func(time.Duration)) {
			if err := os.MkdirAll(inbox, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(inbox, name)
			write := func(b []byte, flag int) {
				f, err := os.OpenFile(p, flag, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write(b); err != nil {
					t.Fatal(err)
				}
				f.Close()
				clock.Add(time.Second)
				if err := os.Chtimes(p, clock.Now(), clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			write(partial, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
			return func(b []byte) { write(b, os.O_WRONLY|os.O_APPEND) }, clock.Add
		}
	}
	return env
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func TestFolderConformance(t *testing.T) {
	for _, perPartner := range []bool{true, false} {
		name := "Flat"
		if perPartner {
			name = "PerPartner"
		}
		t.Run(name, func(t *testing.T) {
			cleotest.RunTests(t, func(t *testing.T) *cleotest.Env {
				root := t.TempDir()
				clock := &testClock{t: time.Now().UTC()}
				layout := cleo.Layout{PerPartner: perPartner, Partners: []domain.Partner{testPartner}}
				return fileEnv(t, root, layout, clock, func(t *testing.T) cleo.Transport {
					f, err := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: layout, Now: clock.Now})
					if err != nil {
						t.Fatal(err)
					}
					return f
				})
			})
		})
	}
}

func TestFolderMarker(t *testing.T) {
	root := t.TempDir()
	layout := cleo.Layout{Partners: []domain.Partner{testPartner}, Marker: ".ready"}
	f, err := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := filepath.Join(root, "inbox")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "a.edi"), []byte("ISA"), 0o644)
	files, err := f.Inbound(ctx)
	if err != nil || len(files) != 0 {
		t.Fatalf("file without marker listed: %v %v", files, err)
	}
	os.WriteFile(filepath.Join(in, "a.edi.ready"), nil, 0o644)
	files, err = f.Inbound(ctx)
	if err != nil || len(files) != 1 || files[0].ID != "a.edi" {
		t.Fatalf("file with marker: %v %v", files, err)
	}
	if err := f.Ack(ctx, "a.edi"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"processed/a.edi", "processed/a.edi.ready"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("after ack: %v", err)
		}
	}
}

func TestFolderAckKeepsSameNamedFiles(t *testing.T) {
	root := t.TempDir()
	f, _ := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: cleo.Layout{StableFor: -1}})
	ctx := context.Background()
	os.MkdirAll(filepath.Join(root, "inbox"), 0o755)
	for i := range 2 {
		os.WriteFile(filepath.Join(root, "inbox", "x.edi"), []byte{byte('a' + i)}, 0o644)
		if err := f.Ack(ctx, "x.edi"); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(root, "processed"))
	if len(ents) != 2 {
		t.Fatalf("processed holds %d files, want both deliveries", len(ents))
	}
}

func TestFolderRejectsBadIDs(t *testing.T) {
	root := t.TempDir()
	f, _ := cleo.NewFolder(cleo.FolderConfig{Root: root})
	for _, id := range []string{"../etc/passwd", "/abs", "a/../../b", "a/b"} {
		if _, err := f.Open(context.Background(), id); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Open(%q) = %v, want invalid", id, err)
		}
		if err := f.Ack(context.Background(), id); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Ack(%q) = %v, want invalid", id, err)
		}
	}
}

func TestFolderUnsupportedAndConfig(t *testing.T) {
	if _, err := cleo.NewFolder(cleo.FolderConfig{Root: filepath.Join(t.TempDir(), "missing")}); domain.KindOf(err) != domain.KindConfig {
		t.Errorf("missing root: %v", err)
	}
	f, _ := cleo.NewFolder(cleo.FolderConfig{Root: t.TempDir()})
	err := f.SetPartnerExternalID(context.Background(), "ACME", "SUP1001")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetPartnerExternalID = %v, want ErrUnsupported", err)
	}
	rep := f.TestConnection(context.Background())
	if rep.OK() || rep.Steps[1].Fix == "" {
		t.Errorf("no partners configured should fail with a fix: %+v", rep)
	}
}

func TestOutboundName(t *testing.T) {
	if got := cleo.OutboundName("850", "P10001", "2"); got != "850_P10001_2.edi" {
		t.Errorf("got %q", got)
	}
	if got := cleo.OutboundName("850", "P/1 0"); got != "850_P-1-0.edi" {
		t.Errorf("got %q", got)
	}
	if err := cleo.CheckName(cleo.OutboundName("850", "../x")); err != nil {
		t.Errorf("OutboundName produced an invalid name: %v", err)
	}
}

// BenchmarkFolderInbound lists a flat inbox of 500 complete files (each is
// opened to read its ISA sender and document type).
func BenchmarkFolderInbound(b *testing.B) {
	root := b.TempDir()
	in := filepath.Join(root, "inbox")
	os.MkdirAll(in, 0o755)
	isa := "ISA*00*          *00*          *ZZ*ACMEFASTEN     *ZZ*MLCONNECTOR    *261116*1200*U*00401*000000001*0*T*>~GS*IN*A*B*20261116*1200*1*X*004010~ST*810*0001~"
	old := time.Now().Add(-time.Hour)
	for i := range 500 {
		p := filepath.Join(in, fmt.Sprintf("f%04d.edi", i))
		os.WriteFile(p, []byte(isa), 0o644)
		os.Chtimes(p, old, old)
	}
	f, err := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: cleo.Layout{Partners: []domain.Partner{testPartner}}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		files, err := f.Inbound(context.Background())
		if err != nil || len(files) != 500 || files[0].PartnerAlias != "ACME" {
			b.Fatalf("%d files, %v", len(files), err)
		}
	}
	b.ReportMetric(500, "files/listing")
}
