package store

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestSecretKeysRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	secret := []string{"ifs.client_secret", "cleo.password", "Cleo-Password", "api_key", "ifs.token", "sftp.private_key",
		"sftp.passphrase", "oauth.refresh_token", "db.pwd", "cleo.credentials", "x.apikey"}
	fine := []string{"ifs.url", "ifs.token_url", "ifs.client_id", "ifs.client_secret_expires", "ifs.company", "cleo.user",
		"cleo.host_key_fingerprint", "engine.send_997", "ifs.client_secret_ref"}
	for _, k := range secret {
		if err := s.SetSetting(ctx, "", k, "v"); !errors.Is(err, ErrSecretKey) {
			t.Errorf("%s: want ErrSecretKey, got %v", k, err)
		}
	}
	for _, k := range fine {
		if err := s.SetSetting(ctx, "", k, "v"); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if err := s.SetSetting(ctx, "", "sftp.key", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"); !errors.Is(err, ErrSecretKey) {
		t.Errorf("PEM value: %v", err)
	}
	if v, ok, _ := s.Setting(ctx, "ifs.url"); !ok || v != "v" {
		t.Errorf("read back %q %v", v, ok)
	}
}

func TestConfigExportImport(t *testing.T) {
	ctx := context.Background()
	src, _ := openTest(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(src.SetSetting(ctx, "alice", "ifs.url", "https://ifs.example"))
	must(src.SetSchedule(ctx, "alice", Schedule{Flow: "invoices", Cron: "*/2 * * * *"}))
	must(src.SetSchedulePaused(ctx, "alice", "invoices", true))
	must(src.ReplacePartners(ctx, []domain.Partner{{ID: "p1", Alias: "ACME", ISAQualifier: "zz", ISAID: "ACME01", Enabled: true}}))
	must(src.SetPartnerMode(ctx, "alice", "p1", ModeTest))
	must(src.SetPartnerStrictness(ctx, "alice", "p1", StrictnessLenient))
	_, err := src.SetPartnerMapping(ctx, "alice", PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: "S1"})
	must(err)
	_, err = src.SetTolerance(ctx, "alice", Tolerance{PricePct: money.MustParse("1.5")})
	must(err)
	cfg, err := src.ExportConfig(ctx)
	must(err)
	b, err := json.Marshal(cfg)
	must(err)

	dst, _ := openTest(t)
	var back Config
	must(json.Unmarshal(b, &back))
	skipped, err := dst.ImportConfig(ctx, "bob", back)
	must(err)
	if skipped != 1 {
		t.Fatalf("skipped partners %d, want 1 (p1 unknown in the new store)", skipped)
	}
	got, err := dst.ExportConfig(ctx)
	must(err)
	if got.Settings["ifs.url"] != "https://ifs.example" || len(got.Schedules) != 1 || !got.Schedules[0].Paused ||
		len(got.Mappings.Partners) != 1 || got.Mappings.Tolerances[0].PricePct.String() != "1.5" {
		t.Fatalf("imported config %+v", got)
	}
	// After the partner arrives, the mode applies.
	must(dst.ReplacePartners(ctx, []domain.Partner{{ID: "p1", Alias: "ACME", Enabled: true}}))
	if skipped, err := dst.ImportConfig(ctx, "bob", back); err != nil || skipped != 0 {
		t.Fatalf("second import %d %v", skipped, err)
	}
	p, _ := dst.Partner(ctx, "p1")
	if p.Mode != ModeTest || p.Strictness != StrictnessLenient {
		t.Fatalf("mode %s strictness %s", p.Mode, p.Strictness)
	}
	// An export from before strictness existed keeps the current level.
	old := back
	old.Partners = []PartnerConfig{{ID: "p1", Mode: ModeLive}}
	must2(t)(dst.ImportConfig(ctx, "bob", old))
	if p, _ := dst.Partner(ctx, "p1"); p.Mode != ModeLive || p.Strictness != StrictnessLenient {
		t.Fatalf("after an old export: mode %s strictness %s", p.Mode, p.Strictness)
	}
	bad := back
	bad.Partners = []PartnerConfig{{ID: "p1", Mode: ModeLive, Strictness: "loose"}}
	if _, err := dst.ImportConfig(ctx, "bob", bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("strictness loose: %v", err)
	}

	bad = back
	bad.Settings = map[string]string{"cleo.password": "hunter2"}
	if _, err := dst.ImportConfig(ctx, "bob", bad); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("secret in config: %v", err)
	}
	bad = back
	bad.Version = 99
	if _, err := dst.ImportConfig(ctx, "bob", bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("future version: %v", err)
	}
	bad = back
	bad.Format = "something"
	if err := ValidateConfig(bad); err == nil {
		t.Fatal("wrong format accepted")
	}
}

func TestPartnersCache(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.ReplacePartners(ctx, []domain.Partner{
		{ID: "p1", Alias: "ACME", ISAQualifier: "ZZ", ISAID: "ACME01", Enabled: true, ExternalID: "S1"},
		{ID: "p2", Alias: "Globex", ISAQualifier: "01", ISAID: "123", Enabled: true},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPartnerMode(ctx, "alice", "p1", ModeTest); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPartnerMode(ctx, "alice", "nope", ModeTest); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown partner: %v", err)
	}
	if err := s.SetPartnerAckDeadline(ctx, "alice", "p1", 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	// p1 disappears from Cleo for a while: kept, disabled, mode remembered.
	if err := s.ReplacePartners(ctx, []domain.Partner{{ID: "p2", Alias: "Globex", Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	p1, err := s.Partner(ctx, "p1")
	if err != nil || p1.Enabled || p1.Mode != ModeTest || p1.AckDeadline != 48*time.Hour {
		t.Fatalf("p1 %+v %v", p1, err)
	}
	byISA, err := s.PartnerByISA(ctx, "zz", "ACME01 ")
	if err != nil || byISA.ID != "p1" {
		t.Fatalf("by ISA %+v %v", byISA, err)
	}
	evs, _ := s.Events(ctx, EventQuery{Subject: "partner:p1"})
	if len(evs) != 2 || evs[1].Action != "partner.mode" || evs[1].Actor != "alice" {
		t.Fatalf("partner events %+v", evs)
	}
	// Strictness: new partners read by the standard; a change is audited
	// once (setting the same level again writes nothing); a level outside
	// the three is refused.
	if p2, _ := s.Partner(ctx, "p2"); p2.Strictness != StrictnessStandard {
		t.Fatalf("p2 strictness %q", p2.Strictness)
	}
	for i := 0; i < 2; i++ {
		if err := s.SetPartnerStrictness(ctx, "alice", "p2", StrictnessStrict); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPartnerStrictness(ctx, "alice", "p2", "loose"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("loose: %v", err)
	}
	if err := s.SetPartnerStrictness(ctx, "alice", "nope", StrictnessStrict); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown partner: %v", err)
	}
	evs, _ = s.Events(ctx, EventQuery{Subject: "partner:p2"})
	if p2, _ := s.Partner(ctx, "p2"); p2.Strictness != StrictnessStrict || len(evs) != 1 || string(evs[0].DetailJSON()) != `{"from":"standard","to":"strict"}` {
		t.Fatalf("p2 %q events %+v", p2.Strictness, evs)
	}

	if err := s.ReplaceSuppliers(ctx, []domain.Supplier{{SupplierID: "S1", Name: "Acme Corp"}, {SupplierID: "S2", Name: "Globex"}}); err != nil {
		t.Fatal(err)
	}
	found, _ := s.SearchSuppliers(ctx, "acme", 0)
	if len(found) != 1 || found[0].SupplierID != "S1" {
		t.Fatalf("search %+v", found)
	}
	if _, err := s.Supplier(ctx, "S3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing supplier %v", err)
	}
	vals := []domain.CodePartValue{{Company: "10", CodePart: "A", Value: "6000", Description: "Freight",
		ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err := s.ReplaceCodeParts(ctx, "10", "A", vals); err != nil {
		t.Fatal(err)
	}
	v, err := s.CodePartValue(ctx, "10", "A", "6000")
	if err != nil || v.Description != "Freight" || !v.ValidFrom.Equal(vals[0].ValidFrom) {
		t.Fatalf("code part %+v %v", v, err)
	}
	if err := s.ReplaceCodeParts(ctx, "10", "B", vals); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mismatched code part %v", err)
	}
}

func TestIntentsRunsCursors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	in := Intent{Name: "PO-1_850_000000001.edi", Partner: "p1", BusinessKey: "PO-1", ContentHash: "h1"}
	got, created, err := s.RecordIntent(ctx, in)
	if err != nil || !created || got.State != IntentPending {
		t.Fatalf("record %+v %v %v", got, created, err)
	}
	again, created, err := s.RecordIntent(ctx, in)
	if err != nil || created || again.ID != got.ID {
		t.Fatalf("record again %+v %v %v", again, created, err)
	}
	in.ContentHash = "h2"
	if _, _, err := s.RecordIntent(ctx, in); !errors.Is(err, ErrConflict) {
		t.Fatalf("same name other content: %v", err)
	}
	pending, _ := s.PendingIntents(ctx)
	if len(pending) != 1 {
		t.Fatalf("pending %d", len(pending))
	}
	if err := s.FinishIntent(ctx, in.Name, IntentDone, "cleo-id-7"); err != nil {
		t.Fatal(err)
	}
	if pending, _ := s.PendingIntents(ctx); len(pending) != 0 {
		t.Fatalf("pending after finish %d", len(pending))
	}
	if done, _ := s.Intent(ctx, in.Name); done.State != IntentDone || done.Result != "cleo-id-7" {
		t.Fatalf("done %+v", done)
	}
	if err := s.FinishIntent(ctx, "nope", IntentDone, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finish unknown: %v", err)
	}

	id, err := s.StartRun(ctx, "invoices")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(ctx, "pos"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, RunOK, map[string]int{"posted": 3}, ""); err != nil {
		t.Fatal(err)
	}
	n, err := s.AbandonRunningRuns(ctx, "interrupted")
	if err != nil || n != 1 {
		t.Fatalf("abandon %d %v", n, err)
	}
	last, err := s.LastRun(ctx, "invoices")
	if err != nil || last.Status != RunOK || last.Counts["posted"] != 3 || last.FinishedAt.IsZero() {
		t.Fatalf("last run %+v %v", last, err)
	}
	if pos, _ := s.LastRun(ctx, "pos"); pos.Status != RunFailed || pos.Error != "interrupted" {
		t.Fatalf("pos run %+v", pos)
	}
	if _, err := s.LastRun(ctx, "reference"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("never ran: %v", err)
	}

	if err := s.Beat(ctx, "invoices", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Beat(ctx, "invoices", "timeout"); err != nil {
		t.Fatal(err)
	}
	hb, _ := s.Heartbeats(ctx)
	if len(hb) != 1 || hb[0].LastError != "timeout" || hb[0].LastSuccess.IsZero() || !hb[0].LastAttempt.After(hb[0].LastSuccess) {
		t.Fatalf("heartbeat %+v", hb)
	}

	if _, ok, _ := s.Cursor(ctx, "pos.changed_since"); ok {
		t.Fatal("cursor before set")
	}
	if err := s.SetCursor(ctx, "pos.changed_since", "2026-03-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.Cursor(ctx, "pos.changed_since"); !ok || v != "2026-03-01T00:00:00Z" {
		t.Fatalf("cursor %q", v)
	}
	if err := s.SetSentETag(ctx, "po", "PO-1", `W/"1"`, 0); err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := s.SentETag(ctx, "po", "PO-1"); !ok || e != `W/"1"` {
		t.Fatalf("etag %q", e)
	}
}

func TestInboundFiles(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	f, _, err := s.InsertInboundFile(ctx, InboundFile{RemoteID: "r1", Name: "a.edi", Raw: []byte("abc")})
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != 3 || f.SHA256 != ContentHash([]byte("abc")) {
		t.Fatalf("file %+v", f)
	}
	if _, _, err := s.InsertInboundFile(ctx, InboundFile{Name: "x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no remote id: %v", err)
	}
	un, _ := s.UnackedInboundFiles(ctx)
	if len(un) != 1 {
		t.Fatalf("unacked %d", len(un))
	}
	if err := s.MarkInboundFileAcked(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkInboundFileAcked(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if un, _ := s.UnackedInboundFiles(ctx); len(un) != 0 {
		t.Fatalf("unacked after ack %d", len(un))
	}
	if err := s.SetInboundFileStatus(ctx, f.ID, FileFailed, "no ISA segment"); err != nil {
		t.Fatal(err)
	}
	failed, _ := s.InboundFiles(ctx, FileFailed, 0)
	if len(failed) != 1 || failed[0].Error != "no ISA segment" {
		t.Fatalf("failed %+v", failed)
	}
	full, err := s.InboundFile(ctx, f.ID)
	if err != nil || string(full.Raw) != "abc" || full.AckedAt.IsZero() {
		t.Fatalf("full %+v %v", full, err)
	}
	byRemote, err := s.InboundFileByRemoteID(ctx, "r1")
	if err != nil || byRemote.ID != f.ID || byRemote.Raw != nil {
		t.Fatalf("by remote %+v %v", byRemote, err)
	}
	if err := s.SetInboundFileStatus(ctx, 999, FileSplit, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown file %v", err)
	}
	evs, _ := s.Events(ctx, EventQuery{Subject: "file:*"})
	if len(evs) != 3 {
		t.Fatalf("file events %d", len(evs))
	}
}

func TestDocumentSearchAndDashboard(t *testing.T) {
	ctx := context.Background()
	s, clk := openTest(t)
	mk := func(dir Direction, typ DocType, partner, key string, st Status) *Document {
		d := &Document{Direction: dir, Type: typ, Partner: partner, BusinessKey: key, Status: st, SupplierID: "S1",
			Fingerprint: Fingerprint("S1", key, money.MustParse("10"))}
		if err := s.InsertDocument(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mk(Outbound, Type850, "ACME", "PO-1001", StatusSent)
	mk(Outbound, Type850, "ACME", "PO-1002", StatusAcknowledged)
	inv := mk(Inbound, Type810, "ACME", "inv-77", StatusPosted)
	mk(Inbound, Type810, "GLOBEX", "INV-78", StatusReceived)
	clk.mu.Lock()
	clk.t = clk.t.Add(24 * time.Hour)
	clk.mu.Unlock()
	mk(Inbound, Type997, "ACME", "1001", StatusReceived)

	count := func(q DocumentQuery) int {
		t.Helper()
		ds, err := s.Documents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.CountDocuments(ctx, q)
		if err != nil || n != len(ds) {
			t.Fatalf("count %d vs %d (%v)", n, len(ds), err)
		}
		return len(ds)
	}
	for _, tc := range []struct {
		name string
		q    DocumentQuery
		want int
	}{
		{"all", DocumentQuery{}, 5},
		{"po prefix", DocumentQuery{BusinessKey: "po-10"}, 2},
		{"invoice prefix case-insensitive", DocumentQuery{BusinessKey: "INV"}, 2},
		{"prefix with underscore is literal", DocumentQuery{BusinessKey: "PO_"}, 0},
		{"text", DocumentQuery{Text: "glob"}, 1},
		{"type", DocumentQuery{Type: Type810}, 2},
		{"direction+status", DocumentQuery{Direction: Outbound, Statuses: []Status{StatusSent, StatusAcknowledged}}, 2},
		{"partner", DocumentQuery{Partner: "ACME"}, 4},
		{"since second day", DocumentQuery{From: clk.t.Add(-time.Hour)}, 1},
		{"fingerprint", DocumentQuery{Fingerprint: Fingerprint("S1", "INV 77", money.MustParse("10.00"))}, 1},
	} {
		if got := count(tc.q); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	fp, _ := s.FindByFingerprint(ctx, inv.Fingerprint)
	if len(fp) != 1 || fp[0].ID != inv.ID {
		t.Fatalf("by fingerprint %+v", fp)
	}
	bk, _ := s.FindByBusinessKey(ctx, Inbound, Type810, "S1", "inv-77")
	if len(bk) != 1 {
		t.Fatalf("by key %d", len(bk))
	}
	if bk, _ := s.FindByBusinessKey(ctx, Inbound, Type810, "", "INV-77"); len(bk) != 0 {
		t.Fatalf("exact key lookup must be case-sensitive, got %d", len(bk))
	}
	pend, _ := s.DocumentsInStatus(ctx, StatusReceived)
	if len(pend) != 2 || pend[0].BusinessKey != "INV-78" {
		t.Fatalf("in status %+v", pend)
	}

	days, err := s.DocumentsPerDay(ctx, clk.t.Add(-48*time.Hour), clk.t, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, d := range days {
		total += d.Count
	}
	if total != 5 || len(days) != 3 {
		t.Fatalf("per day %+v", days)
	}
	act, err := s.ActivityCounts(ctx, clk.t.Add(-72*time.Hour), clk.t.Add(time.Hour))
	if err != nil || act["document.created"] != 5 {
		t.Fatalf("activity %v %v", act, err)
	}
	act, _ = s.ActivityCounts(ctx, clk.t.Add(-72*time.Hour), clk.t.Add(time.Hour), "status.posted")
	if len(act) != 1 {
		t.Fatalf("restricted activity %v", act)
	}
	sc, _ := s.StatusCounts(ctx, Inbound, "")
	if sc[StatusReceived] != 2 || sc[StatusPosted] != 1 {
		t.Fatalf("status counts %v", sc)
	}
}

func TestFingerprintNormalisation(t *testing.T) {
	ten := money.MustParse("10")
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"INV-0042", "inv 0042", true},
		{"00042", "42", true},
		{"INV-42", "INV-0042", false},
		{"A/B.C_D", "abcd", true},
	} {
		if got := Fingerprint("S1", tc.a, ten) == Fingerprint("S1", tc.b, ten); got != tc.same {
			t.Errorf("%q vs %q: same=%v", tc.a, tc.b, got)
		}
	}
	if Fingerprint("S1", "1", money.MustParse("10.00")) != Fingerprint("S1", "1", ten) {
		t.Error("amount scale must not matter")
	}
	if Fingerprint("S1", "1", ten) == Fingerprint("S2", "1", ten) {
		t.Error("supplier must matter")
	}
}

func TestTextSearchFollowsUpdates(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	d := &Document{Direction: Inbound, Type: Type810, Partner: "ACME", SupplierID: "OLD1", BusinessKey: "INV-5005"}
	if err := s.InsertDocument(ctx, d, ""); err != nil {
		t.Fatal(err)
	}
	sup := "ZEBRA9"
	if _, err := s.Transition(ctx, d.ID, Transition{To: StatusException, Reason: "price_mismatch",
		Message: "Price differs from \"PO 7\"", Patch: DocumentPatch{SupplierID: &sup}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want int
	}{{"ebra", 1}, {"OLD1", 0}, {"500", 1}, {"05", 1}, {"zz", 0}} {
		if n, _ := s.CountDocuments(ctx, DocumentQuery{Text: tc.text}); n != tc.want {
			t.Errorf("documents text %q: %d, want %d", tc.text, n, tc.want)
		}
	}
	for _, tc := range []struct {
		text string
		want int
	}{{`"PO 7"`, 1}, {"price differs", 1}, {"ebra", 1}, {"nothing", 0}} {
		if n, _ := s.CountExceptions(ctx, ExceptionQuery{Text: tc.text}); n != tc.want {
			t.Errorf("exceptions text %q: %d, want %d", tc.text, n, tc.want)
		}
	}
}

func TestOverdueAndTxDocuments(t *testing.T) {
	ctx := context.Background()
	s, clk := openTest(t)
	due := clk.t.Add(time.Hour)
	po := &Document{Direction: Outbound, Type: Type850, Partner: "ACME", BusinessKey: "PO-1", Status: StatusSent, DueAt: due}
	if err := s.InsertDocument(ctx, po, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertDocument(ctx, &Document{Direction: Outbound, Type: Type850, BusinessKey: "PO-2", Status: StatusSent}, ""); err != nil {
		t.Fatal(err)
	}
	q := DocumentQuery{Statuses: []Status{StatusSent}, DueBefore: due.Add(time.Minute)}
	if n, _ := s.CountDocuments(ctx, q); n != 1 {
		t.Fatalf("overdue candidates %d, want 1", n)
	}
	q.DueBefore = due.Add(-time.Minute)
	if n, _ := s.CountDocuments(ctx, q); n != 0 {
		t.Fatalf("not yet due %d", n)
	}
	// Check-then-write inside one transaction.
	err := s.Update(ctx, func(tx *Tx) error {
		ds, err := tx.Documents(DocumentQuery{BusinessKey: "PO-1", Type: Type850})
		if err != nil || len(ds) != 1 {
			t.Fatalf("tx documents %d %v", len(ds), err)
		}
		_, err = tx.Transition(ds[0].ID, Transition{From: []Status{StatusSent}, To: StatusOverdue})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Document(ctx, po.ID); d.Status != StatusOverdue || !d.DueAt.Equal(due) {
		t.Fatalf("po %+v", d)
	}
}

// The SQLite URI of the store file: Windows paths get forward slashes and a
// leading slash before the drive (sqlite.org/uri.html §3.1); found when the
// Windows build under Wine refused C:\ as a URI authority.
func TestURIPath(t *testing.T) {
	for _, tc := range []struct {
		abs     string
		windows bool
		want    string
	}{
		{"/home/ap/.config/ml-connector/ml-connector.db", false, "/home/ap/.config/ml-connector/ml-connector.db"},
		{`C:\Users\Zoë Müller\AppData\Roaming\ml-connector\ml-connector.db`, true, "/C:/Users/Zoë Müller/AppData/Roaming/ml-connector/ml-connector.db"},
		{`C:\mlc data\ml-connector.db`, true, "/C:/mlc data/ml-connector.db"},
	} {
		if got := uriPath(tc.abs, tc.windows); got != tc.want {
			t.Errorf("uriPath(%q) = %q, want %q", tc.abs, got, tc.want)
		}
	}
	u := url.URL{Scheme: "file", Path: uriPath(`C:\mlc data\ml-connector.db`, true)}
	if got := u.String(); got != "file:///C:/mlc%20data/ml-connector.db" {
		t.Errorf("URI %q", got)
	}
}

// must2 fails t on the error of a two-result call.
func must2(t *testing.T) func(int, error) {
	return func(_ int, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
