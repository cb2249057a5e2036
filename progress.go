package main

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows how far a run is: a bar with count, rate and ETA on a
// terminal; otherwise a log line every progressEvery, which suits CI logs
// and cron mail.
type progress struct {
	w        io.Writer
	terminal bool
	log      *slog.Logger
	what     string
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

func newProgress(w io.Writer, terminal bool, log *slog.Logger, command string, now func() time.Time) *progress {
	return &progress{w: w, terminal: terminal, log: log, what: command, now: now}
}

func (p *progress) Start(total int) {
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
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("orders"),
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

func (p *progress) logLine() {
	p.mu.Lock()
	done, total, elapsed := p.done, p.total, p.now().Sub(p.start)
	p.mu.Unlock()
	rate := float64(done) / elapsed.Seconds()
	attrs := []any{"orders_done", done, "orders_total", total, "per_minute", int(rate * 60)}
	if rate > 0 && done < total {
		attrs = append(attrs, "eta", (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second))
	}
	p.log.Info("progress", attrs...)
}

func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *progress) Finish() {
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
