//go:build !windows

package engine

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TestRolesOneSourceOnTeam: on a team database the roles an admin grants
// with `store role` are the ones the leader's decisions obey. Before, the
// decisions read a setting of their own that a team never had, so every
// clerk counted as admin there and could accept an invoice with an override.
func TestRolesOneSourceOnTeam(t *testing.T) {
	ctx := context.Background()
	st, _, _ := teamStore(t)
	s := newSandboxesOn(t, ifssim.Config{}, cleosim.Config{EmptyInbox: true}, st)
	if r, err := UserRole(ctx, st, "ann"); err != nil || r != RoleAdmin {
		t.Fatalf("first person on the team: %q %v", r, err)
	}
	if err := s.eng.requireAs(ctx, "frank", "override", RoleApprover); domain.KindOf(err) != domain.KindForbidden ||
		!strings.Contains(err.Error(), "frank is a clerk; only an approver may do this") {
		t.Fatalf("a clerk's override on a team: %v", err)
	}
	// ann grants erin approver as `ml-connector store role erin approver` does.
	if err := st.SetRole(ctx, "ann", "erin", store.RoleApprover); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.requireAs(ctx, "erin", "override", RoleApprover); err != nil {
		t.Fatalf("the approver's override: %v", err)
	}
	// An approver is not an admin for the team's schedules.
	r, err := st.EnqueueRequest(ctx, store.Request{Kind: "pause", Target: "invoices", Actor: "erin", Host: "desk2"})
	if err != nil {
		t.Fatal(err)
	}
	if state, result := s.eng.executeRequest(ctx, nil, r); state != store.RequestRefused || !strings.Contains(result, "erin is an approver: only an admin") {
		t.Fatalf("approver pausing: %s %q", state, result)
	}
}

// TestRolesFromTheOldSetting: a desk whose roles are still in the engine's
// old "roles" setting keeps them, and its first role change moves them into
// the store's table, after which the setting no longer counts.
func TestRolesFromTheOldSetting(t *testing.T) {
	h := newHarness(t)
	if err := h.st.SetSetting(h.ctx, "clerk1", SettingRoles, `{"clerk1":"admin","erin":"approver"}`); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]Role{"clerk1": RoleAdmin, "erin": RoleApprover, "frank": RoleClerk} {
		if r, err := UserRole(h.ctx, h.st, user); err != nil || r != want {
			t.Fatalf("%s: %q %v, want %s", user, r, err, want)
		}
	}
	if err := h.engineAs("clerk1").SetRole(h.ctx, "frank", RoleApprover); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"clerk1": "admin", "erin": "approver", "frank": "approver"}
	if got, err := h.st.Roles(h.ctx); err != nil || !maps.Equal(got, want) {
		t.Fatalf("table %v %v, want %v", got, err, want)
	}
	if err := h.st.SetSetting(h.ctx, "clerk1", SettingRoles, `{"frank":"admin"}`); err != nil {
		t.Fatal(err)
	}
	if r, _ := UserRole(h.ctx, h.st, "frank"); r != RoleApprover {
		t.Fatalf("the old setting still counts: frank is %s", r)
	}
	if err := h.engineAs("erin").SetRole(h.ctx, "erin", RoleAdmin); domain.KindOf(err) != domain.KindForbidden {
		t.Fatalf("an approver made herself admin: %v", err)
	}
}
