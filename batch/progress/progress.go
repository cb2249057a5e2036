// Package progress shows how far a run is: a bar with count, rate and ETA
// on a terminal; otherwise a log line every ten seconds, which suits CI
// logs and cron mail. It implements batch.Progress.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Display shows the progress of one run.
type Display struct {
	w        io.Writer
	terminal bool
	log      *slog.Logger
	what     string
	unit     string // what is counted: "orders"
	now      func() time.Time

	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	total int
	done  int
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

const progressEvery = 10 * time.Second

// New returns a display writing to w: a bar when terminal is true, else
// log lines on log. what names the run ("run", "plan"); now is the clock.
func New(w io.Writer, terminal bool, log *slog.Logger, what string, now func() time.Time) *Display {
	return &Display{w: w, terminal: terminal, log: log, what: what, now: now, unit: "orders"}
}

// Counting makes the display count unit ("customers") instead of orders.
func (p *Display) Counting(unit string) *Display {
	p.unit = unit
	return p
}

// Start begins a run of total orders.
func (p *Display) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.start = total, p.now()
	if total == 0 {
		return
	}
	if p.terminal {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { io.WriteString(p.w, "\n") }),
		)
		return
	}
	p.stop = make(chan struct{})
	p.wg.Go(func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.logLine()
			case <-p.stop:
				return
			}
		}
	})
}

// rateAfter is how much of a run must have passed before its rate means
// anything: the first orders finish together, and one order in a
// millisecond is not 60,000 a minute.
const rateAfter = 5 * time.Second

func (p *Display) logLine() {
	p.mu.Lock()
	done, total, elapsed := p.done, p.total, p.now().Sub(p.start)
	p.mu.Unlock()
	attrs := []any{p.unit + "_done", done, p.unit + "_total", total}
	if rate := float64(done) / elapsed.Seconds(); elapsed >= rateAfter && rate > 0 {
		attrs = append(attrs, "per_minute", int(rate*60))
		if done < total {
			attrs = append(attrs, "eta", (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second))
		}
	}
	p.log.Info("progress", attrs...)
}

// Add counts n more finished orders.
func (p *Display) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil {
		if elapsed := p.now().Sub(p.start); elapsed >= rateAfter {
			p.bar.Describe(fmt.Sprintf("%s %.0f %s/min", p.what, float64(p.done)/elapsed.Minutes(), p.unit))
		}
		p.bar.Add(n)
	}
}

// Finish ends the display.
func (p *Display) Finish() {
	p.mu.Lock()
	bar, stop := p.bar, p.stop
	p.mu.Unlock()
	if bar != nil {
		bar.Exit()
	}
	if stop != nil {
		close(stop)
		p.wg.Wait()
	}
}
