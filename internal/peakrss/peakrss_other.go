//go:build !unix

package peakrss

func peak() (float64, bool) { return 0, false }
