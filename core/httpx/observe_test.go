package httpx

import (
	"errors"
	"testing"
	"time"
)

// The moving average starts at the first answer and moves an eighth of
// the way to each next one; network errors and other events are not
// answers. Values worked out by hand.
func TestLatency(t *testing.T) {
	var l Latency
	if l.Mean() != 0 {
		t.Fatalf("before any answer: %v", l.Mean())
	}
	steps := []struct {
		ev   Event
		want time.Duration
	}{
		{Event{Kind: EventResponse, Status: 200, Duration: 160 * time.Millisecond}, 160 * time.Millisecond},
		{Event{Kind: EventResponse, Status: 200, Duration: 240 * time.Millisecond}, 170 * time.Millisecond}, // 160 + 80/8
		{Event{Kind: EventResponse, Err: errors.New("reset"), Duration: 30 * time.Second}, 170 * time.Millisecond},
		{Event{Kind: EventRequest}, 170 * time.Millisecond},
		{Event{Kind: EventRateWait, Wait: time.Second}, 170 * time.Millisecond},
		{Event{Kind: EventResponse, Status: 429, Duration: 10 * time.Millisecond}, 150 * time.Millisecond}, // 170 - 160/8: an answer all the same
	}
	for i, s := range steps {
		l.Observe(s.ev)
		if got := l.Mean(); got != s.want {
			t.Fatalf("step %d: mean %v, want %v", i, got, s.want)
		}
	}
}
