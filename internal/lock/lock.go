// Package lock holds exclusive OS file locks (flock on Unix, LockFileEx on
// Windows, through gofrs/flock): one process at a time works on a chain of
// runs, one at a time appends to a ledger. The operating system releases
// the lock of a process that dies — even by kill -9 — so a lock is never
// stale; what it says about its holder is only read while it is held.
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Holder is who holds a lock: what a second process is told.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user,omitempty"`
	Since   time.Time `json:"since"`
	Command string    `json:"command,omitempty"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("pid %d on %s", h.PID, h.Host)
	if h.User != "" {
		s += " (" + h.User + ")"
	}
	s += " since " + h.Since.UTC().Format("2006-01-02 15:04:05 UTC")
	if h.Command != "" {
		s += ": " + h.Command
	}
	return s
}

// HeldError is a lock another process holds.
type HeldError struct {
	Path string
	// Holder is what the holder wrote of itself; zero when it could not be
	// read (it is still starting, or wrote nothing).
	Holder Holder
}

func (e *HeldError) Error() string {
	if e.Holder.PID == 0 {
		return "in progress in another process (" + e.Path + " is locked)"
	}
	return "in progress: " + e.Holder.String()
}

// Lock is a held lock.
type Lock struct {
	fl     *flock.Flock
	holder string
}

// holderFile is where a lock's holder writes who it is: a file of its own,
// since Windows does not let others read a locked file.
func holderFile(path string) string { return path + ".holder" }

// Try takes the lock at path at once, creating the file and its folder if
// need be, and records h beside it; a lock another process holds is a
// *HeldError naming it.
func Try(path string, h Holder) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		held := &HeldError{Path: path}
		if b, err := os.ReadFile(holderFile(path)); err == nil {
			json.Unmarshal(b, &held.Holder)
		}
		return nil, held
	}
	l := &Lock{fl: fl, holder: holderFile(path)}
	b, _ := json.Marshal(h)
	os.WriteFile(l.holder, b, 0o644) // what others are told; the lock holds without it
	return l, nil
}

// Wait takes the lock at path, waiting for its holder up to timeout (a
// ledger append takes milliseconds).
func Wait(path string, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	fl := flock.New(path)
	ok, err := fl.TryLockContext(ctx, 10*time.Millisecond)
	switch {
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("lock %s: %w", path, err)
	case !ok:
		return nil, &HeldError{Path: path}
	}
	return &Lock{fl: fl}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l.holder != "" {
		os.Remove(l.holder)
	}
	return l.fl.Unlock()
}
