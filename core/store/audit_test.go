package store

import (
	"context"
	"strings"
	"testing"
)

func seedEvents(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		d := &Document{Direction: Outbound, Type: Type850, Partner: "ACME", BusinessKey: "PO-" + string(rune('A'+i))}
		if err := s.InsertDocument(ctx, d, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Transition(ctx, d.ID, Transition{To: StatusSent}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyChainDetectsTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		tamper   string
		brokenAt int64
		problem  string
	}{
		{"edit detail", `UPDATE audit_events SET detail = '{"status":"built","forged":true}' WHERE id = 3`, 3, "changed"},
		{"edit actor", `UPDATE audit_events SET actor = 'mallory' WHERE id = 2`, 2, "changed"},
		{"edit and rehash", `UPDATE audit_events SET actor = 'mallory', hash = 'ab' WHERE id = 2`, 2, "changed"},
		{"delete middle", `DELETE FROM audit_events WHERE id = 4`, 5, "missing"},
		{"delete newest", `DELETE FROM audit_events WHERE id = 6`, 6, "deleted"},
		{"reorder time", `UPDATE audit_events SET at = '2020-01-01T00:00:00.000000Z' WHERE id = 5`, 5, "changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			seedEvents(t, s, 3) // 6 events
			rep, err := s.VerifyChain(ctx)
			if err != nil || !rep.OK || rep.Events != 6 {
				t.Fatalf("before tampering: %+v %v", rep, err)
			}
			if _, err := s.w.ExecContext(ctx, tc.tamper); err != nil {
				t.Fatal(err)
			}
			rep, err = s.VerifyChain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.BrokenAt != tc.brokenAt || !strings.Contains(rep.Problem, tc.problem) {
				t.Fatalf("report %+v, want broken at %d with %q", rep, tc.brokenAt, tc.problem)
			}
		})
	}
}

func TestEventQueries(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	seedEvents(t, s, 2)
	if _, err := s.AppendEvent(ctx, Event{Subject: "connection:ifs", Actor: "bob", Action: "connection.tested",
		Detail: map[string]any{"ok": true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendEvent(ctx, Event{Subject: "x"}); err == nil {
		t.Fatal("event without action accepted")
	}
	all, err := s.Events(ctx, EventQuery{})
	if err != nil || len(all) != 5 || all[0].Action != "connection.tested" {
		t.Fatalf("all: %d %v", len(all), err)
	}
	if string(all[0].DetailJSON()) != `{"ok":true}` {
		t.Fatalf("detail %s", all[0].DetailJSON())
	}
	st, _ := s.Events(ctx, EventQuery{ActionPrefix: "status."})
	if len(st) != 2 {
		t.Fatalf("status events %d", len(st))
	}
	bob, _ := s.Events(ctx, EventQuery{Actor: "bob"})
	if len(bob) != 1 {
		t.Fatalf("bob events %d", len(bob))
	}
	conn, _ := s.Events(ctx, EventQuery{Subject: "connection:*"})
	if len(conn) != 1 {
		t.Fatalf("subject prefix %d", len(conn))
	}
	page, _ := s.Events(ctx, EventQuery{BeforeID: all[1].ID, Limit: 2})
	if len(page) != 2 || page[0].ID != all[2].ID {
		t.Fatalf("keyset page %+v", page)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("%+v %v", rep, err)
	}
}
