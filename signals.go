package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// errInterrupted is the cause of a context that a signal stopped.
var errInterrupted = errors.New("interrupted")

// interrupted reports whether a signal stopped the work of ctx — at any
// time, also while the books were being written.
func interrupted(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errInterrupted) }

// sameSignal is how close two signals come when they are one: a signal sent
// to the process group (by timeout, systemd, a scheduler, or a terminal's
// Ctrl-C reaching a parent shell's children) can arrive twice microseconds
// apart, and must not turn an orderly stop into quitting at once.
const sameSignal = time.Second

// signals is the tool's one signal handler (after restic's cleanup
// handler): main installs it before anything runs, and the command tells
// it, once it knows what it is doing, what a first signal means. Until a
// command does, there is nothing to finish and a signal quits at once.
type signals struct {
	stderr io.Writer
	now    func() time.Time
	exit   func(code int)
	cancel context.CancelCauseFunc

	mu sync.Mutex
	// stopping is printed at the first signal, which then cancels the
	// context; "" means quit at once.
	stopping string
	// quitting says, at a second signal, what is left and how to go on.
	quitting func() string
	first    time.Time
}

// install routes SIGINT and SIGTERM to s until the process exits.
func (s *signals) install() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range ch {
			s.handle(sig)
		}
	}()
}

// expect makes the first signal an orderly stop: stopping is printed and
// the work's context cancelled. A second signal, a second or more later,
// prints quitting() and exits at once.
func (s *signals) expect(stopping string, quitting func() string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping, s.quitting = stopping, quitting
}

func (s *signals) handle(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case s.first.IsZero():
		s.first = now
		if s.stopping == "" {
			s.exit(exitInterrupted) // nothing has started that needs finishing
			return
		}
		fmt.Fprintf(s.stderr, "\npcreconcile: %v: %s\n", sig, s.stopping)
		s.cancel(errInterrupted)
	case now.Sub(s.first) < sameSignal:
		// The same stop, delivered twice.
	default:
		msg := "quitting at once"
		if s.quitting != nil {
			msg = s.quitting()
		}
		fmt.Fprintf(s.stderr, "pcreconcile: %s\n", msg)
		s.exit(exitInterrupted)
	}
}
