// Package peakrss reports the process's peak resident memory, which the
// benchmarks put beside their timings: the targets are in megabytes of
// RSS, not of Go heap.
package peakrss

import (
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// MB returns the peak resident set size of this process in megabytes, and
// false where the system does not say (Windows).
func MB() (float64, bool) { return peak() }

// Watch samples, until the returned function is called, the memory the Go
// runtime has mapped from the OS (heap, stacks, GC metadata; not what it
// has released) and returns its peak in megabytes above what was mapped
// when the watch began. It is a phase's own footprint, which the process's
// peak RSS hides under a benchmark's setup.
func Watch() (peakMB func() float64) {
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	used := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64() - sample[1].Value.Uint64()
	}
	debug.FreeOSMemory()
	base := used()
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if u := used(); u > peak.Load() {
				peak.Store(u)
			}
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		return float64(peak.Load()-base) / (1 << 20)
	}
}
