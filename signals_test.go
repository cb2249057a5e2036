package main

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The handler's rules, on an injected clock: before a command expects
// signals the first one quits at once; after, the first stops in order
// (the context's cause says so), one that follows within a second is the
// same stop delivered twice, and one a second or more later quits at once
// saying how to go on.
func TestSignalsStopOnceQuitOnTheSecond(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	type step struct {
		after time.Duration // since the first signal
		exit  bool          // the process exits at this signal
	}
	tests := []struct {
		name   string
		expect bool
		steps  []step
		cancel bool
	}{
		{"nothing to finish: the first quits", false, []step{{0, true}}, false},
		{"a first signal stops in order", true, []step{{0, false}}, true},
		{"a process-group signal comes twice", true, []step{{0, false}, {50 * time.Microsecond, false}, {999 * time.Millisecond, false}}, true},
		{"a second Ctrl-C a second later quits", true, []step{{0, false}, {10 * time.Microsecond, false}, {time.Second, true}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			var out bytes.Buffer
			exits := 0
			ctx, cancel := context.WithCancelCause(context.Background())
			s := &signals{stderr: &out, now: func() time.Time { return now }, exit: func(code int) {
				if code != exitInterrupted {
					t.Errorf("exit %d, want 130", code)
				}
				exits++
			}, cancel: cancel}
			if tt.expect {
				s.expect("stopping", func() string { return "quitting; resume with X" })
			}
			for i, st := range tt.steps {
				now = t0.Add(st.after)
				before := exits
				s.handle(syscall.SIGINT)
				if got := exits > before; got != st.exit {
					t.Errorf("signal %d at +%v: exited %v, want %v", i+1, st.after, got, st.exit)
				}
			}
			if interrupted(ctx) != tt.cancel {
				t.Errorf("interrupted = %v, want %v", interrupted(ctx), tt.cancel)
			}
			if tt.expect && strings.Count(out.String(), "stopping") != 1 {
				t.Errorf("the stop was announced %d times:\n%s", strings.Count(out.String(), "stopping"), out.String())
			}
			if last := tt.steps[len(tt.steps)-1]; tt.expect && last.exit && !strings.Contains(out.String(), "resume with X") {
				t.Errorf("quitting does not say how to go on:\n%s", out.String())
			}
		})
	}
}
