package cleosim

import (
	"testing"
	"time"
)

// FuzzParseFilter: any filter text either parses or is refused; evaluating
// a parsed filter never panics.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`alias eq "A"`, `type eq "sftp" and alias sw "d"`, `not (a eq 1 or b pr)`, `created gt "2026/11/10 08:00:00"`, `((`, `"x`, `a eq`} {
		f.Add(s)
	}
	attrs := map[string]any{"alias": "ACME", "type": "as2", "a": int64(1), "created": time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC), "enabled": true}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseFilter(s)
		if err != nil {
			return
		}
		flt(attrs)
	})
}

func TestFilterSemantics(t *testing.T) {
	attrs := map[string]any{"alias": "ACME_AS2", "type": "as2", "size": int64(120), "enabled": true,
		"created": time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)}
	tests := []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`alias eq "ACME_AS2"`, true},
		{`alias eq "acme_as2"`, false},
		{`alias sw "acme"`, true},
		{`alias ew "AS2"`, true},
		{`alias co "E_A"`, true},
		{`alias ne "X"`, true},
		{`type eq "as2" and alias sw "B"`, false},
		{`type eq "sftp" or alias sw "A"`, true},
		{`not (type eq "sftp")`, true},
		{`size gt 100 and size le 120`, true},
		{`size lt 100`, false},
		{`enabled eq true`, true},
		{`created gt "2026-11-09T00:00:00Z"`, true},
		{`created lt "2026/11/10 07:59:59"`, false},
		{`created ge "2026-11-10"`, true},
		{`missing eq "x"`, false},
		{`missing ne "x"`, true},
		{`alias pr`, true},
		{`missing pr`, false},
		{`ALIAS EQ "ACME_AS2" AND TYPE EQ "as2"`, true},
	}
	for _, tc := range tests {
		f, err := parseFilter(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := f(attrs); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.filter, got, tc.want)
		}
	}
	for _, bad := range []string{`alias`, `alias eq`, `alias xx "a"`, `(alias eq "a"`, `alias eq "a" and`, `"unterminated`} {
		if _, err := parseFilter(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
