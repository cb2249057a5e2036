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
	p.Add(5)
	now = now.Add(30 * time.Second) // 25 orders in 30 s: 50 a minute, 75 to go
	p.logLine()
	p.Finish()
	got := logs.String()
	for _, want := range []string{"msg=progress", "orders_done=25", "orders_total=100", "per_minute=50", "eta=1m30s"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %s", got, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("no terminal, yet a bar was drawn: %q", out.String())
	}
}

// On a terminal, progress is a bar with the count, rate and ETA.
func TestProgressBarOnTerminal(t *testing.T) {
	t.Parallel()
	var logs, out bytes.Buffer
	p := New(&out, true, slog.New(slog.NewTextHandler(&logs, nil)), "run", time.Now)
	p.Start(4)
	p.Add(3)
	p.Add(1)
	p.Finish()
	// Count, rate, then [elapsed:remaining]; and the bar ends full.
	midway := regexp.MustCompile(`run +75% .*\(3/4, [^ ]+ orders/s\) \[\d+s:\d+s\]`)
	if got := out.String(); !midway.MatchString(got) || !strings.Contains(got, "100%") || !strings.Contains(got, "(4/4, ") {
		t.Errorf("bar output %q, want count, rate and ETA on the way, 4/4 at the end", got)
	}
	if logs.Len() != 0 {
		t.Errorf("a terminal gets the bar, not log lines: %q", logs.String())
	}
}
