package connector

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// Load, change one field, Save: every other field survives, the keys are
// the ones the builders read, and a bad partner list is refused.
func TestSettingsRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := Settings{IFS: IFSSettings{URL: "https://t.ifs.cloud", Realm: "t", ClientID: "MLC", Company: "C1"},
		Cleo: CleoSettings{Transport: TransportSFTP, Host: "127.0.0.1:2222", User: "mlc", Root: "/mb", PerPartner: true,
			Partners: "ACME=ZZ:ACME01@S1"}, OurQualifier: "ZZ", OurID: "US"}
	if err := s.Save(ctx, st, "admin"); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings(ctx, st)
	if err != nil || got != s {
		t.Fatalf("round trip\n got %+v\nwant %+v (%v)", got, s, err)
	}
	raw, _ := st.Settings(ctx)
	if raw[SettingIFSURL] != "https://t.ifs.cloud" || raw[SettingCleoPerPartner] != "true" || raw[SettingCleoHost] != "127.0.0.1:2222" {
		t.Fatalf("stored keys %v", raw)
	}
	if _, ok := raw[SettingIFSCAFile]; ok {
		t.Fatal("an empty, never-set field was written")
	}
	got.IFS.Company = "C2"
	if err := got.Save(ctx, st, "admin"); err != nil {
		t.Fatal(err)
	}
	again, _ := LoadSettings(ctx, st)
	if again.IFS.Company != "C2" || again.Cleo.Root != "/mb" || again.OurID != "US" {
		t.Fatalf("after changing one field %+v", again)
	}
	bad := again
	bad.Cleo.Partners = "ACME=ZZACME01"
	if err := bad.Save(ctx, st, "admin"); err == nil {
		t.Fatal("a bad partner list was saved")
	}
	bad = again
	bad.Cleo.Transport = "ftp"
	if err := bad.Save(ctx, st, "admin"); err == nil {
		t.Fatal("an unknown transport was saved")
	}
}

// On a team database only an admin changes the connections: a clerk's save
// is refused with ErrForbidden, audited, and changes nothing. (The first
// person on the database is its admin.)
func TestTeamConnectionsOnlyByAnAdmin(t *testing.T) {
	ctx := context.Background()
	url, pw := testharness.PostgresDatabase(t)
	st, err := store.OpenURL(ctx, url, store.WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := Settings{IFS: IFSSettings{URL: "https://t.ifs.cloud", Realm: "t", ClientID: "MLC", Company: "C1"},
		Cleo: CleoSettings{Transport: TransportREST, URL: "https://cleo.example.com", User: "mlc"}}
	if err := s.Save(ctx, st, "ann"); err != nil {
		t.Fatalf("the first person (admin): %v", err)
	}
	changed := s
	changed.IFS.URL = "https://evil.example.com"
	err = changed.Save(ctx, st, "bob")
	if !errors.Is(err, store.ErrForbidden) || !strings.Contains(err.Error(), "bob is a clerk") {
		t.Fatalf("a clerk's save: %v", err)
	}
	if got, _ := LoadSettings(ctx, st); got.IFS.URL != s.IFS.URL {
		t.Fatalf("the refused save changed the IFS URL to %q", got.IFS.URL)
	}
	evs, err := st.Events(ctx, store.EventQuery{Actor: "bob"})
	if err != nil || len(evs) != 1 || evs[0].Action != "settings.refused" {
		t.Fatalf("audit of the refusal: %+v %v", evs, err)
	}
	if err := st.SetRole(ctx, "ann", "bob", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := changed.Save(ctx, st, "bob"); err != nil {
		t.Fatalf("bob as admin: %v", err)
	}
}
