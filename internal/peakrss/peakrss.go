// Package peakrss reports the process's peak resident memory, which the
// benchmarks put beside their timings: the targets are in megabytes of
// RSS, not of Go heap.
package peakrss

// MB returns the peak resident set size of this process in megabytes, and
// false where the system does not say (Windows).
func MB() (float64, bool) { return peak() }
