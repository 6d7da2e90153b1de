package store

import (
	"context"
	"errors"
	"maps"
	"testing"
)

// TestRoles: the roles table is the one source of roles (clerk, approver,
// admin) on both backends. The first person asked is the admin; only an
// admin grants; removing a role leaves a clerk; the last admin stays.
func TestRoles(t *testing.T) {
	ctx := context.Background()
	s := openBackend(t)
	defer s.Close()
	if r, err := s.Roles(ctx); err != nil || len(r) != 0 {
		t.Fatalf("new database: %v %v", r, err)
	}
	if r, err := s.RoleOf(ctx, "ann"); err != nil || r != RoleAdmin {
		t.Fatalf("first person: %q %v", r, err)
	}
	if r, err := s.RoleOf(ctx, "bob"); err != nil || r != RoleClerk {
		t.Fatalf("second person: %q %v", r, err)
	}
	if err := s.SetRole(ctx, "ann", "erin", RoleApprover); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, "erin", "bob", RoleAdmin); !errors.Is(err, ErrForbidden) {
		t.Fatalf("an approver granted admin: %v", err)
	}
	if err := s.SetRole(ctx, "ann", "erin", "boss"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
	if err := s.SetRole(ctx, "ann", "ann", RoleClerk); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the only admin made herself a clerk: %v", err)
	}
	if err := s.SetRole(ctx, "ann", "ann", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the only admin removed herself: %v", err)
	}
	want := map[string]string{"ann": RoleAdmin, "erin": RoleApprover}
	if got, err := s.Roles(ctx); err != nil || !maps.Equal(got, want) {
		t.Fatalf("roles %v %v, want %v", got, err, want)
	}
	if err := s.SetRole(ctx, "ann", "erin", ""); err != nil {
		t.Fatal(err)
	}
	if r, err := s.RoleOf(ctx, "erin"); err != nil || r != RoleClerk {
		t.Fatalf("removed approver: %q %v", r, err)
	}
	// Granted and removed: both in the audit trail, newest first.
	evs, err := s.Events(ctx, EventQuery{Subject: "role:erin"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if len(actions) != 2 || actions[0] != "role.removed" || actions[1] != "role.granted" {
		t.Fatalf("audit of erin's role: %v", actions)
	}
}
