// Package cleotest is the conformance suite of the Cleo transports, in the
// manner of restic's internal/backend/test: RunTests drives one transport
// through every behaviour the engine relies on, and each transport's test
// file only says how to set up a server (a cleosim instance, an OpenSSH
// sshd, a temp folder) and how to look at it from the server side.
package cleotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/domain"
)

// Env is one isolated server (fresh state) as a test sees it.
type Env struct {
	// New returns a transport to the server. Calling it again simulates a
	// restart of the connector (nothing shared in memory).
	New func(t *testing.T) cleo.Transport
	// Partner is the alias of a partner the server knows, with its ISA id.
	PartnerAlias, PartnerISAQualifier, PartnerISAID string
	// Put places an inbound file from the partner with the given creation
	// time, as the network would deliver it.
	Put func(t *testing.T, name string, content []byte, created time.Time)
	// Sent returns what the server holds for an outbound name to the partner.
	Sent func(t *testing.T, name string) (content []byte, count int)
	// ExpireTokensAfter makes every token the server issued invalid after n
	// more API requests (REST); nil when the transport has no tokens.
	ExpireTokensAfter func(t *testing.T, n int)
	// Rejected counts the requests the server refused for a bad token, so
	// the suite can check that an expiry really happened mid-listing.
	Rejected func(t *testing.T) int
	// HalfWrite starts writing an inbound file the way a slow writer does
	// and returns functions to append more and to let time pass (folder);
	// nil when the transport's server always writes atomically.
	HalfWrite func(t *testing.T, name string, partial []byte) (appendMore func([]byte), advance func(time.Duration))
	// PageSize is the page size the transport asks for (0 when not paged);
	// the paging test puts several pages' worth of files.
	PageSize int
}

// RunTests runs the suite; setup is called once per subtest and must
// return an Env on fresh, empty state.
func RunTests(t *testing.T, setup func(t *testing.T) *Env) {
	tests := []struct {
		name string
		fn   func(*testing.T, *Env)
	}{
		{"Partners", testPartners},
		{"InboundOldestFirstPaged", testInboundPaged},
		{"TokenExpiryMidListing", testTokenExpiry},
		{"OpenStreams", testOpen},
		{"AckTwice", testAckTwice},
		{"SendTwiceAfterCrash", testSendTwice},
		{"SendRejectsPaths", testSendName},
		{"HalfWrittenFile", testHalfWritten},
		{"TestConnection", testConnection},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := setup(t)
			tc.fn(t, env)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, env *Env) cleo.Transport {
	tr := env.New(t)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func partner(t *testing.T, ctx context.Context, tr cleo.Transport, env *Env) domain.Partner {
	t.Helper()
	ps, err := tr.Partners(ctx)
	if err != nil {
		t.Fatalf("Partners: %v", err)
	}
	for _, p := range ps {
		if p.Alias == env.PartnerAlias {
			return p
		}
	}
	t.Fatalf("Partners: no partner %q among %d", env.PartnerAlias, len(ps))
	return domain.Partner{}
}

// edi builds a small interchange from the test partner so transports that
// route by ISA sender can place it.
func edi(env *Env, doc, body string) []byte {
	isa := fmt.Sprintf("ISA*00*          *00*          *%-2s*%-15s*ZZ*%-15s*261116*1200*U*00401*000000001*0*T*>~",
		env.PartnerISAQualifier, env.PartnerISAID, "MLCONNECTOR")
	return []byte(isa + "GS*IN*X*Y*20261116*1200*1*X*004010~ST*" + doc + "*0001~" + body + "~SE*3*0001~GE*1*1~IEA*1*000000001~\n")
}

// ours keeps the files this test put, so a server seeded with other
// inbound files does not disturb the assertions.
func ours(files []domain.RemoteFile, prefix string) []domain.RemoteFile {
	var out []domain.RemoteFile
	for _, f := range files {
		if strings.HasPrefix(f.Name, prefix) {
			out = append(out, f)
		}
	}
	return out
}

func testPartners(t *testing.T, env *Env) {
	ctx := ctxT(t)
	tr := open(t, env)
	p := partner(t, ctx, tr, env)
	if p.ID == "" {
		t.Errorf("partner %q has no ID", p.Alias)
	}
	if p.ISAQualifier != env.PartnerISAQualifier || p.ISAID != env.PartnerISAID {
		t.Errorf("partner %q ISA = %s/%s, want %s/%s", p.Alias, p.ISAQualifier, p.ISAID, env.PartnerISAQualifier, env.PartnerISAID)
	}
}

// putMany puts n files with shuffled creation times and returns their
// names in the expected (oldest-first) order.
func putMany(t *testing.T, env *Env, prefix string, n int) []string {
	base := time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)
	perm := rand.New(rand.NewPCG(1, uint64(n))).Perm(n)
	want := make([]string, n)
	for i, k := range perm {
		name := fmt.Sprintf("%s%03d.edi", prefix, i)
		env.Put(t, name, edi(env, "810", fmt.Sprintf("BIG*20261116*INV%03d", i)), base.Add(time.Duration(k)*time.Minute))
		want[k] = name
	}
	return want
}

func checkOrder(t *testing.T, got []domain.RemoteFile, want []string, env *Env) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Inbound returned %d of our files, want %d", len(got), len(want))
	}
	for i, f := range got {
		if f.Name != want[i] {
			t.Fatalf("Inbound[%d] = %s, want %s (oldest first)", i, f.Name, want[i])
		}
		if f.PartnerAlias != env.PartnerAlias {
			t.Errorf("%s: partner alias %q, want %q", f.Name, f.PartnerAlias, env.PartnerAlias)
		}
		if f.ID == "" || f.Size == 0 || f.Created.IsZero() || f.Created.Location() != time.UTC {
			t.Errorf("%s: incomplete entry %+v", f.Name, f)
		}
		if i > 0 && f.Created.Before(got[i-1].Created) {
			t.Errorf("%s created before its predecessor", f.Name)
		}
	}
}

func testInboundPaged(t *testing.T, env *Env) {
	ctx := ctxT(t)
	n := 7
	if env.PageSize > 0 {
		n = 3*env.PageSize + 2
	}
	want := putMany(t, env, "pg", n)
	tr := open(t, env)
	files, err := tr.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	got := ours(files, "pg")
	checkOrder(t, got, want, env)
	for _, f := range got {
		if f.DocumentType != "810" {
			t.Fatalf("%s: document type %q, want 810", f.Name, f.DocumentType)
		}
	}
}

func testTokenExpiry(t *testing.T, env *Env) {
	if env.ExpireTokensAfter == nil {
		t.Skip("transport has no tokens")
	}
	ctx := ctxT(t)
	want := putMany(t, env, "tk", 3*max(env.PageSize, 1)+1)
	tr := open(t, env)
	if _, err := tr.Partners(ctx); err != nil { // signs in
		t.Fatalf("Partners: %v", err)
	}
	env.ExpireTokensAfter(t, 2) // the token dies after the second page
	rejected := 0
	if env.Rejected != nil {
		rejected = env.Rejected(t)
	}
	files, err := tr.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound across a token expiry: %v", err)
	}
	if env.Rejected != nil && env.Rejected(t) == rejected {
		t.Fatalf("the server never rejected the expired token: the test proved nothing")
	}
	checkOrder(t, ours(files, "tk"), want, env)
}

func testOpen(t *testing.T, env *Env) {
	ctx := ctxT(t)
	// Bigger than any single read buffer, so streaming is exercised.
	var body bytes.Buffer
	for i := 0; body.Len() < 300<<10; i++ {
		fmt.Fprintf(&body, "IT1*%d*1*EA*1.00**VP*PART%06d~\n", i, i)
	}
	content := edi(env, "810", body.String())
	env.Put(t, "big.edi", content, time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC))
	tr := open(t, env)
	files, err := tr.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	fs := ours(files, "big")
	if len(fs) != 1 {
		t.Fatalf("Inbound: %d files named big*, want 1", len(fs))
	}
	if fs[0].Size != int64(len(content)) {
		t.Errorf("Size = %d, want %d", fs[0].Size, len(content))
	}
	rc, err := tr.Open(ctx, fs[0].ID)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var got bytes.Buffer
	buf := make([]byte, 4096)
	if _, err := io.CopyBuffer(&got, struct{ io.Reader }{rc}, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("content differs: got %d bytes, want %d", got.Len(), len(content))
	}
	if _, err := tr.Open(ctx, "no-such-file"); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("Open(unknown) error kind %v (%v), want not_found", domain.KindOf(err), err)
	}
}

func testAckTwice(t *testing.T, env *Env) {
	ctx := ctxT(t)
	env.Put(t, "ack1.edi", edi(env, "997", "AK1*PO*1"), time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC))
	env.Put(t, "ack2.edi", edi(env, "997", "AK1*PO*2"), time.Date(2026, 11, 10, 8, 1, 0, 0, time.UTC))
	tr := open(t, env)
	files, err := tr.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound: %v", err)
	}
	fs := ours(files, "ack")
	if len(fs) != 2 {
		t.Fatalf("Inbound: %d ack files, want 2", len(fs))
	}
	for i := range 2 {
		if err := tr.Ack(ctx, fs[0].ID); err != nil {
			t.Fatalf("Ack #%d: %v", i+1, err)
		}
	}
	// A restarted connector acking again (it crashed before recording) is fine too.
	if err := open(t, env).Ack(ctx, fs[0].ID); err != nil {
		t.Fatalf("Ack after restart: %v", err)
	}
	files, err = tr.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound after ack: %v", err)
	}
	if fs2 := ours(files, "ack"); len(fs2) != 1 || fs2[0].Name != "ack2.edi" {
		t.Fatalf("after ack Inbound = %v, want only ack2.edi", fs2)
	}
}

func testSendTwice(t *testing.T, env *Env) {
	ctx := ctxT(t)
	tr := open(t, env)
	p := partner(t, ctx, tr, env)
	name := cleo.OutboundName("850", "P10001", "1")
	content := edi(env, "850", "BEG*00*SA*P10001**20261116")
	res, err := tr.Send(cleo.WithExternalID(ctx, "P10001"), p, name, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.AlreadyPresent || res.Name != name {
		t.Fatalf("first Send = %+v, want a new delivery of %s", res, name)
	}
	// The connector crashes before recording the send; after the restart it
	// sends the same document again under the same deterministic name.
	tr2 := open(t, env)
	res2, err := tr2.Send(ctx, partner(t, ctx, tr2, env), name, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("second Send: %v", err)
	}
	if !res2.AlreadyPresent {
		t.Fatalf("second Send = %+v, want AlreadyPresent", res2)
	}
	got, n := env.Sent(t, name)
	if n != 1 || !bytes.Equal(got, content) {
		t.Fatalf("server holds %d copies (content equal: %v), want exactly 1", n, bytes.Equal(got, content))
	}
	// A different name is a different delivery.
	name3 := cleo.OutboundName("850", "P10001", "2")
	if res3, err := tr2.Send(ctx, p, name3, bytes.NewReader(content)); err != nil || res3.AlreadyPresent {
		t.Fatalf("Send(%s) = %+v, %v", name3, res3, err)
	}
}

func testSendName(t *testing.T, env *Env) {
	ctx := ctxT(t)
	tr := open(t, env)
	p := partner(t, ctx, tr, env)
	for _, name := range []string{"../evil.edi", "a/b.edi", "", ".hidden"} {
		_, err := tr.Send(ctx, p, name, strings.NewReader("x"))
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Send(%q) error %v, want invalid", name, err)
		}
	}
}

func testHalfWritten(t *testing.T, env *Env) {
	if env.HalfWrite == nil {
		t.Skip("the server writes files atomically")
	}
	ctx := ctxT(t)
	full := edi(env, "810", "BIG*20261116*HALF1")
	appendMore, advance := env.HalfWrite(t, "half.edi", full[:50])
	tr := open(t, env)
	poll := func() []domain.RemoteFile {
		t.Helper()
		files, err := tr.Inbound(ctx)
		if err != nil {
			t.Fatalf("Inbound: %v", err)
		}
		return ours(files, "half")
	}
	if fs := poll(); len(fs) != 0 {
		t.Fatalf("a file being written was listed: %+v", fs)
	}
	appendMore(full[50:100])
	if fs := poll(); len(fs) != 0 {
		t.Fatalf("a growing file was listed: %+v", fs)
	}
	appendMore(full[100:])
	if fs := poll(); len(fs) != 0 {
		t.Fatalf("a file that changed since the last poll was listed: %+v", fs)
	}
	// Unchanged across two polls: complete.
	fs := poll()
	if len(fs) != 1 || fs[0].Size != int64(len(full)) {
		t.Fatalf("a stable file was not listed in full: %+v", fs)
	}
	// A fresh transport (no memory of earlier polls) picks it up once it is old enough.
	advance(time.Hour)
	files, err := open(t, env).Inbound(ctx)
	if err != nil || len(ours(files, "half")) != 1 {
		t.Fatalf("an old file was not listed by a fresh transport: %v %v", files, err)
	}
}

func testConnection(t *testing.T, env *Env) {
	ctx := ctxT(t)
	env.Put(t, "tc.edi", edi(env, "810", "BIG*20261116*TC1"), time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC))
	rep := open(t, env).TestConnection(ctx)
	if !rep.OK() {
		t.Fatalf("TestConnection not OK: %+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Detail == "" {
			t.Errorf("step %q has no detail", s.Name)
		}
	}
}
