package schedules

import (
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"*/5 * * * *", "every 5 minutes"},
		{"*/1 * * * *", "every minute"},
		{"* * * * *", "every minute"},
		{"0 2 * * *", "every day at 02:00"},
		{"30 6 * * 1-5", "at 06:30 on weekdays"},
		{"15 * * * *", "every hour at minute 15"},
		{"0 * * * *", "every hour, on the hour"},
		{"0 */4 * * *", "every 4 hours at minute 0"},
		{"*/10 8-17 * * 1-5", "every 10 minutes between 08:00 and 17:59 on weekdays"},
		{"0 3 1 * *", "at 03:00 on day 1 of the month"},
		{"0 3 * 1,7 *", "at 03:00 every day in Jan, Jul"},
		{"0 9 * * 1,3", "at 09:00 on Mon, Wed"},
		{"@daily", "every day at 00:00"},
		{"@every 90s", "every 90s"},
	}
	for _, c := range cases {
		got, err := Describe(c.spec)
		if err != nil || got != c.want {
			t.Errorf("Describe(%q) = %q, %v; want %q", c.spec, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "61 * * * *", "* * *", "every five minutes"} {
		if _, err := Describe(bad); err == nil {
			t.Errorf("Describe(%q): no error", bad)
		}
	}
}

func TestNextRuns(t *testing.T) {
	from := time.Date(2026, 11, 27, 9, 31, 0, 0, time.UTC)
	got, err := NextRuns("*/5 * * * *", from, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"09:35", "09:40", "09:45"}
	for i, g := range got {
		if g.Format("15:04") != want[i] {
			t.Fatalf("next runs %v, want %v", got, want)
		}
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata")
	}
	got, _ = NextRuns("0 2 * * *", from.In(berlin), 1)
	if got[0].Format("2006-01-02 15:04 MST") != "2026-11-28 02:00 CET" {
		t.Fatalf("got %v, want 02:00 local in the schedule's zone", got[0])
	}
}
