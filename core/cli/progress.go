package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
)

// isTerminal reports whether w is a terminal (a character device): a
// progress line is for a person watching, never for a pipe or a log file.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressLine renders one flow's progress: done of total, the
// exceptions so far and the rate since the flow started.
func progressLine(d events.RunData, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %d", d.Flow, d.Done)
	if d.Total > 0 {
		fmt.Fprintf(&b, "/%d", d.Total)
	}
	b.WriteString(" done")
	if d.Failed > 0 {
		fmt.Fprintf(&b, ", %d exceptions", d.Failed)
	}
	if elapsed >= time.Second && d.Done > 0 {
		fmt.Fprintf(&b, ", %.0f/min", float64(d.Done)/elapsed.Minutes())
	}
	return b.String()
}

// showProgress prints a progress line to w, rewritten in place at most
// five times a second, until stop is called (which clears it).
func showProgress(w io.Writer, bus *events.Bus) (stop func()) {
	sub := bus.Subscribe(events.RunStarted|events.RunProgress, 256)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		started := map[string]time.Time{}
		var last events.RunData
		var shown time.Time
		width := 0
		for {
			select {
			case <-done:
				if width > 0 {
					fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", width))
				}
				return
			case ev := <-sub.C():
				d, ok := ev.Data.(events.RunData)
				if !ok {
					continue
				}
				if _, seen := started[d.Flow]; !seen || ev.Type == events.RunStarted {
					started[d.Flow] = ev.Time
				}
				last = d
				if time.Since(shown) < 200*time.Millisecond {
					continue
				}
				shown = time.Now()
				line := progressLine(last, time.Since(started[last.Flow]))
				pad := max(0, width-len(line))
				fmt.Fprintf(w, "\r%s%s", line, strings.Repeat(" ", pad))
				width = len(line)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		sub.Unsubscribe()
	}
}
