package domain

import (
	"strings"
	"testing"
	"time"
)

func TestCertStep(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		left        time.Duration
		ok, warn    bool
		detail, fix string
	}{
		{"far", 90 * 24 * time.Hour, true, false, "valid until 2027-02-25 (90 days)", ""},
		{"soon", 10 * 24 * time.Hour, true, true, "valid until 2026-12-07 (10 days)", "before 2026-12-07"},
		{"edge", CertWarnWithin, true, true, "(30 days)", "before 2026-12-27"},
		{"expired", -time.Hour, false, false, "expired on 2026-11-27", "Renew the server certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := CertStep(CertInfo{Host: "h.example", Subject: "CN=h.example", NotAfter: now.Add(tc.left)}, now, CertWarnWithin)
			if s.OK != tc.ok || s.Warning != tc.warn {
				t.Fatalf("OK=%v Warning=%v, want %v %v", s.OK, s.Warning, tc.ok, tc.warn)
			}
			if !strings.Contains(s.Detail, "h.example") || !strings.Contains(s.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", s.Detail, tc.detail)
			}
			if !strings.Contains(s.Fix, tc.fix) || (tc.fix == "") != (s.Fix == "") {
				t.Errorf("fix %q, want %q", s.Fix, tc.fix)
			}
		})
	}
	if !(CertInfo{}).IsZero() {
		t.Error("zero CertInfo not IsZero")
	}
}
