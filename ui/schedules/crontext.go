package schedules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser accepts what the engine's scheduler accepts: five fields or a descriptor.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// NextRuns parses spec and returns its next n run times after from, in from's location.
func NextRuns(spec string, from time.Time, n int) ([]time.Time, error) {
	sch, err := parser.Parse(strings.TrimSpace(spec))
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	t := from
	for range n {
		t = sch.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out, nil
}

var dayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
var monthNames = []string{"", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Describe turns a cron spec into plain words ("every 5 minutes", "every day
// at 02:00", "at minute 15 of every hour on weekdays"). It reports a parse
// error for an invalid spec, and falls back to the fields for unusual ones.
func Describe(spec string) (string, error) {
	spec = strings.TrimSpace(spec)
	if _, err := parser.Parse(spec); err != nil {
		return "", err
	}
	switch spec {
	case "@yearly", "@annually":
		return "once a year, on 1 January at 00:00", nil
	case "@monthly":
		return "once a month, on the 1st at 00:00", nil
	case "@weekly":
		return "once a week, on Sunday at 00:00", nil
	case "@daily", "@midnight":
		return "every day at 00:00", nil
	case "@hourly":
		return "every hour, on the hour", nil
	}
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		return "every " + d, nil
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return spec, nil
	}
	min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]
	var when string
	mNum, mIsNum := atoi(min)
	hNum, hIsNum := atoi(hour)
	switch {
	case mIsNum && hIsNum:
		when = fmt.Sprintf("at %02d:%02d", hNum, mNum)
	case min == "*" && hour == "*":
		when = "every minute"
	case strings.HasPrefix(min, "*/") && hour == "*":
		when = "every " + plural(min[2:], "minute")
	case mIsNum && hour == "*":
		if mNum == 0 {
			when = "every hour, on the hour"
		} else {
			when = fmt.Sprintf("every hour at minute %d", mNum)
		}
	case mIsNum && strings.HasPrefix(hour, "*/"):
		when = fmt.Sprintf("every %s at minute %d", plural(hour[2:], "hour"), mNum)
	default:
		when = fmt.Sprintf("at minute %s of hour %s", min, hour)
		if strings.HasPrefix(min, "*/") {
			when = "every " + plural(min[2:], "minute")
		}
		if strings.Contains(hour, "-") {
			parts := strings.SplitN(hour, "-", 2)
			a, _ := atoi(parts[0])
			b, _ := atoi(parts[1])
			when += fmt.Sprintf(" between %02d:00 and %02d:59", a, b)
		} else if hour != "*" {
			when = fmt.Sprintf("at minute %s of hour %s", min, hour)
		}
	}
	var days []string
	switch {
	case dom == "*" && dow == "*":
		if mIsNum && hIsNum {
			days = append(days, "every day")
		}
	case dom == "*":
		days = append(days, "on "+dowText(dow))
	case dow == "*":
		days = append(days, "on day "+dom+" of the month")
	default:
		days = append(days, "on day "+dom+" of the month or on "+dowText(dow))
	}
	if mon != "*" {
		days = append(days, "in "+listText(mon, monthNames))
	}
	out := when
	if len(days) > 0 {
		if mIsNum && hIsNum && dom == "*" && dow == "*" && mon == "*" {
			out = "every day " + when
		} else {
			out = when + " " + strings.Join(days, " ")
		}
	}
	return out, nil
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func plural(n, unit string) string {
	if n == "1" {
		return unit
	}
	return n + " " + unit + "s"
}

func dowText(f string) string {
	switch f {
	case "1-5", "MON-FRI", "mon-fri":
		return "weekdays"
	case "0,6", "6,0", "SAT,SUN", "sat,sun":
		return "weekends"
	}
	return listText(f, dayNames)
}

func listText(f string, names []string) string {
	var out []string
	for _, p := range strings.Split(f, ",") {
		if a, b, ok := strings.Cut(p, "-"); ok {
			out = append(out, name(a, names)+"–"+name(b, names))
			continue
		}
		out = append(out, name(p, names))
	}
	return strings.Join(out, ", ")
}

func name(s string, names []string) string {
	if n, ok := atoi(s); ok && n >= 0 && n < len(names) && names[n] != "" {
		return names[n]
	}
	return s
}
