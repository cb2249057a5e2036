package progress

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Without a terminal, progress is a log line with counts, rate and ETA.
func TestProgressLogLineWithoutTerminal(t *testing.T) {
	t.Parallel()
	var logs, out bytes.Buffer
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(&logs, nil))
	p := New(&out, false, log, "run", func() time.Time { return now })
	p.Start(100)
	p.Add(20)
	p.logLine() // at once: no rate to tell
	p.Add(5)
	now = now.Add(30 * time.Second) // 25 orders in 30 s: 50 a minute, 75 to go
	p.logLine()
	p.Finish()
	first, got, _ := strings.Cut(logs.String(), "\n")
	if strings.Contains(first, "per_minute") || !strings.Contains(first, "orders_done=20") {
		t.Errorf("first log line %q: want the count and no rate yet", first)
	}
	for _, want := range []string{"msg=progress", "orders_done=25", "orders_total=100", "per_minute=50", "eta=1m30s"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %s", got, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("no terminal, yet a bar was drawn: %q", out.String())
	}
}

// On a terminal, progress is a bar with the count, rate and ETA; the rate
// shows once there are a few seconds of run to tell it.
func TestProgressBarOnTerminal(t *testing.T) {
	t.Parallel()
	var logs, out bytes.Buffer
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	p := New(&out, true, slog.New(slog.NewTextHandler(&logs, nil)), "run", func() time.Time { return now })
	p.Start(4)
	p.Add(3)
	early := out.String()
	now = now.Add(12 * time.Second) // 4 orders in 12 s: 20 a minute
	p.Add(1)
	p.Finish()
	// Count, then [elapsed:remaining]; and the bar ends full.
	midway := regexp.MustCompile(`run +75% .*\(3/4\) \[\d+s:\d+s\]`)
	if !midway.MatchString(early) || strings.Contains(early, "orders/") {
		t.Errorf("bar output %q at the start: want the count and ETA, and no rate yet", early)
	}
	if got := out.String(); !strings.Contains(got, "run 20 orders/min") || !strings.Contains(got, "100%") || !strings.Contains(got, "(4/4)") {
		t.Errorf("bar output %q, want the rate once there is a run to tell it, 4/4 at the end", got)
	}
	if logs.Len() != 0 {
		t.Errorf("a terminal gets the bar, not log lines: %q", logs.String())
	}
}
