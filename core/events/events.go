// Package events is the engine's typed event bus, shaped like syncthing's
// lib/events: event types form a bitmask, a subscriber asks for the types it
// wants and reads them from a buffered channel at its own pace.
//
// The publisher never blocks. A subscriber that falls behind loses the oldest
// events beyond its buffer and sees the count in Dropped, so a frozen GUI can
// never stall a sync; the GUI re-reads state from the engine's queries when it
// notices a gap (events say "something changed", the store says what).
package events

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Type is one kind of event; Types combine with | into a subscription mask.
type Type uint32

// The event types.
const (
	RunStarted        Type = 1 << iota // a flow run began; Data is RunData
	RunProgress                        // a flow run advanced; Data is RunData
	RunFinished                        // a flow run ended; Data is RunData
	DocumentChanged                    // a document was created or changed state; Data is DocumentData
	ExceptionRaised                    // a new open exception; Data is ExceptionData
	ExceptionResolved                  // an exception was resolved, replayed or ignored; Data is ExceptionData
	HeartbeatStale                     // a poller has not succeeded for too long; Data is HeartbeatData
	ConnectionStatus                   // a connection test or call changed a connection's health; Data is ConnectionData
	SchedulerChanged                   // paused, resumed or a schedule edited; Data is SchedulerData
	RequestChanged                     // a team request was queued, started or finished; Data is RequestData

	// AllEvents subscribes to everything.
	AllEvents Type = (1 << iota) - 1
)

var typeNames = []string{"RunStarted", "RunProgress", "RunFinished", "DocumentChanged",
	"ExceptionRaised", "ExceptionResolved", "HeartbeatStale", "ConnectionStatus", "SchedulerChanged", "RequestChanged"}

// String names a single type, or joins the names of a mask with "|".
func (t Type) String() string {
	var parts []string
	for i, n := range typeNames {
		if t&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("Type(%d)", uint32(t))
	}
	return strings.Join(parts, "|")
}

// Event is one published event. ID increases by one per event on a bus, so a
// subscriber can tell it missed some.
type Event struct {
	ID   int64
	Time time.Time // UTC
	Type Type
	Data any
	// Remote is true for an event another process of the team published
	// (relayed through the team database), so it is never relayed back.
	Remote bool
}

// RunData describes a flow run (RunStarted, RunProgress, RunFinished).
type RunData struct {
	RunID  int64
	Flow   string // "pos", "invoices", "reference"
	Done   int    // items handled so far
	Total  int    // items known so far (0 when unknown)
	OK     int
	Failed int
	Err    string // run-level failure, on RunFinished
}

// DocumentData describes a document change.
type DocumentData struct {
	DocumentID  int64
	Type        string // "810", "850", "997"
	Direction   string // "inbound" or "outbound"
	Partner     string
	BusinessKey string
	Status      string
	Reason      string
}

// ExceptionData describes an exception raised or resolved.
type ExceptionData struct {
	ExceptionID int64
	DocumentID  int64
	Reason      string
	Message     string
	Resolution  string // on ExceptionResolved: "replayed", "ignored", "resolved"
}

// HeartbeatData describes a stale poller.
type HeartbeatData struct {
	Poller      string
	LastSuccess time.Time // zero when it never succeeded
	StaleFor    time.Duration
}

// ConnectionData describes a connection's health.
type ConnectionData struct {
	Connection string // "ifs" or "cleo"
	OK         bool
	Detail     string
}

// SchedulerData describes a scheduler change.
type SchedulerData struct {
	Paused bool
	Flow   string // empty for all flows
}

// RequestData describes a team request changing state (queued, running,
// done, failed, refused): what the screens show for each clerk action.
type RequestData struct {
	RequestID int64
	Kind      string // "replay", "replay_reason", "ignore", "sync_now", "pause", "resume", "schedule"
	Target    string
	Actor     string
	State     string
	Result    string
}

// DefaultBuffer is the subscription buffer used when Subscribe gets 0.
const DefaultBuffer = 1024

// Bus fans events out to subscriptions. The zero value is not usable; call NewBus.
type Bus struct {
	mu     sync.Mutex
	nextID int64
	subs   map[*Subscription]struct{}
	now    func() time.Time
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[*Subscription]struct{}{}, now: time.Now}
}

// Subscription receives the events matching its mask.
type Subscription struct {
	mask    Type
	ch      chan Event
	dropped atomic.Int64
	bus     *Bus
	once    sync.Once
}

// Subscribe returns a subscription to the types in mask with a buffer of
// size events (DefaultBuffer when size <= 0). Call Unsubscribe when done.
func (b *Bus) Subscribe(mask Type, size int) *Subscription {
	if size <= 0 {
		size = DefaultBuffer
	}
	s := &Subscription{mask: mask, ch: make(chan Event, size), bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// C is the channel to read events from; it is closed by Unsubscribe.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped counts events discarded because the buffer was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Poll waits up to timeout for the next event; ok is false on timeout or
// after Unsubscribe.
func (s *Subscription) Poll(timeout time.Duration) (ev Event, ok bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case ev, ok = <-s.ch:
		return ev, ok
	case <-t.C:
		return Event{}, false
	}
}

// Unsubscribe stops delivery and closes the channel. Safe to call twice.
func (s *Subscription) Unsubscribe() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.ch)
		s.bus.mu.Unlock()
	})
}

// Publish sends an event of type t to every matching subscription without
// blocking: a full buffer drops its oldest event to make room.
// A nil *Bus accepts and discards events, so engine code needs no checks.
func (b *Bus) Publish(t Type, data any) {
	b.publish(t, data, time.Time{}, false)
}

// PublishRemote publishes an event another process published first, with
// its original time; it is marked Remote.
func (b *Bus) PublishRemote(t Type, data any, at time.Time) {
	b.publish(t, data, at, true)
}

func (b *Bus) publish(t Type, data any, at time.Time, remote bool) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	if at.IsZero() {
		at = b.now()
	}
	ev := Event{ID: b.nextID, Time: at.UTC(), Type: t, Data: data, Remote: remote}
	for s := range b.subs {
		if s.mask&t == 0 {
			continue
		}
		for {
			select {
			case s.ch <- ev:
			default:
				// Full: discard the oldest and retry. Holding b.mu means no
				// other publisher competes; a reader may, which is fine.
				select {
				case <-s.ch:
					s.dropped.Add(1)
				default:
				}
				continue
			}
			break
		}
	}
}
