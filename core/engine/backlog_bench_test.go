//go:build !windows

package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// BenchmarkBacklogMemory drains a backlog of waiting invoices (50,000, and
// 5,000 as the baseline in the same run) through the whole engine with no
// rate limit and no added latency, and measures what memory does
// meanwhile. The sandboxes run as their own process ("ml-connector
// sandbox", this test binary in its place), so this process holds the
// engine, its SQLite store and the test alone: the backlog's files, the
// transfer log and the posted invoices grow in the sandbox, as they would
// at Cleo and IFS. Measured here: the live heap (as of the last
// collection, sampled every 50 ms), its peak above the live heap before
// the drain, and this process's peak RSS (VmHWM); the sandbox process's
// peak RSS is reported beside them. Flat means the engine's figures do
// not grow with the backlog: it lists, downloads and judges in bounded
// batches, never the whole backlog at once. MLC_BACKLOG overrides the
// large size for a quick look.
func BenchmarkBacklogMemory(b *testing.B) {
	large := 50_000
	if n, err := strconv.Atoi(os.Getenv("MLC_BACKLOG")); err == nil && n > 0 {
		large = n
	}
	for _, n := range []int{large / 10, large} {
		b.Run(fmt.Sprintf("backlog=%d", n), func(b *testing.B) {
			for range b.N {
				benchBacklog(b, n)
			}
		})
	}
}

func benchBacklog(b *testing.B, n int) {
	b.StopTimer()
	// This test binary runs the command line when MLC_CHAOS_CHILD is set
	// (TestMain): here its "sandbox" command.
	info := testharness.StartSandbox(b, func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "MLC_CHAOS_CHILD=1", "DBUS_SESSION_BUS_ADDRESS=disabled:")
		return cmd
	}, "--rate-limit", "0", "--cleo-page-size", "100", "--empty-inbox", "--order-copies", strconv.Itoa(backlogOrders(n)))
	// The sandbox's world (seed 1 and the same copies): which orders to bill.
	w := world.New(1)
	w.AddCopies(backlogOrders(n), "XO", world.OpenStates...)
	s := newEngineFor(b, w, sandboxTarget{ifsURL: info.IFS.URL, tokenURL: info.IFS.TokenURL, realm: info.IFS.Realm,
		cleoURL: info.Cleo.URL, cleoUser: info.Cleo.Username, cleoPass: info.Cleo.Password}, nil)
	if _, err := s.eng.SyncOnce(s.ctx, FlowReference); err != nil {
		b.Fatal(err)
	}
	injectBacklog(b, w, n, func(alias, name string, raw []byte) error {
		return postJSON(info.Cleo.ControlURL+"/inject", map[string]any{"connection": alias, "filename": name,
			"content_base64": base64.StdEncoding.EncodeToString(raw), "created": w.Today})
	})
	runtime.GC()
	base := liveHeap()
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if h := liveHeap(); h > peak.Load() {
					peak.Store(h)
					// What the engine holds at its peak: MLC_BACKLOG_HEAP
					// also writes the heap profile at each new peak.
					if path := os.Getenv("MLC_BACKLOG_HEAP"); path != "" {
						if f, err := os.Create(path + ".peak"); err == nil {
							_ = pprof.WriteHeapProfile(f)
							f.Close()
						}
					}
				}
			}
		}
	}()
	start := time.Now()
	b.StartTimer()
	posted := 0
	for round := 0; round < 20 && posted < n; round++ {
		if _, err := s.eng.RunFlow(s.ctx, FlowInvoices); err != nil {
			b.Fatal(err)
		}
		posted, _ = s.st.CountDocuments(s.ctx, store.DocumentQuery{Type: store.Type810, Statuses: []store.Status{store.StatusPosted}})
	}
	b.StopTimer()
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	if posted != n {
		b.Fatalf("posted %d of %d", posted, n)
	}
	// What is still held after the drain, and by whom:
	// MLC_BACKLOG_HEAP=path writes the heap profile of the largest backlog.
	if path := os.Getenv("MLC_BACKLOG_HEAP"); path != "" {
		runtime.GC()
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	b.ReportMetric(float64(peak.Load()-base)/(1<<20), "peak-heap-MB-above-start")
	b.ReportMetric(float64(base)/(1<<20), "start-heap-MB")
	b.ReportMetric(vmHWM("self")/(1<<10), "peak-RSS-MB")
	b.ReportMetric(vmHWM(strconv.Itoa(info.PID))/(1<<10), "sandbox-peak-RSS-MB")
	b.ReportMetric(float64(n)/elapsed.Minutes(), "invoices/min")
}

// backlogOrders is how many open orders a backlog of n invoices bills:
// about ten invoices an order, as at a month-end, rather than the world's
// few dozen orders each billed hundreds or thousands of times (every
// invoice checks what its order was billed before, so that would measure
// the order's history, not the backlog).
func backlogOrders(n int) int { return n / 10 }

// postJSON posts body as JSON to a sandbox control URL.
func postJSON(url string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("POST %s: %s %s", url, resp.Status, msg)
	}
	return nil
}

// liveHeap is the heap found live by the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// vmHWM is a process's peak resident set in KiB ("self" or a PID; Linux),
// 0 elsewhere.
func vmHWM(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return f
		}
	}
	return 0
}
