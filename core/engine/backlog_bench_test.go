//go:build !windows

package engine

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// BenchmarkBacklogMemory drains a backlog of waiting invoices (50,000, and
// 5,000 as the baseline in the same run) through the whole engine with no
// rate limit and no added latency, and measures what memory does
// meanwhile: the live heap (as of the last collection, sampled every
// 50 ms), its peak above the live heap before the drain (the sandboxes
// already hold the backlog's files then), and the process's peak RSS
// (VmHWM, sandboxes included: they run in this process). Flat means the
// peak above the start does not grow with the backlog: the engine lists,
// downloads and judges in bounded batches, never the whole backlog at once.
// MLC_BACKLOG overrides the large size for a quick look.
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
	s := newSandboxes(b, ifssim.Config{}, cleosim.Config{EmptyInbox: true})
	if _, err := s.eng.SyncOnce(s.ctx, FlowReference); err != nil {
		b.Fatal(err)
	}
	injectInvoices(b, s, n)
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
	// What is still held after the drain, by whom (engine or sandboxes):
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
	b.ReportMetric(vmHWM()/(1<<10), "peak-RSS-MB")
	b.ReportMetric(float64(n)/elapsed.Minutes(), "invoices/min")
}

// liveHeap is the heap found live by the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// vmHWM is the process's peak resident set in KiB (Linux), 0 elsewhere.
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
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
