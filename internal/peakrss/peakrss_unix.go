//go:build unix

package peakrss

import (
	"runtime"
	"syscall"
)

func peak() (float64, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20), true // bytes on macOS
	}
	return float64(ru.Maxrss) / 1024, true // kilobytes on Linux and the BSDs
}
