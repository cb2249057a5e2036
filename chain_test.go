package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
)

// killAt makes the sandbox kill the child when it serves its n-th request
// (unserved), or signal it with sig instead; it returns the child's holder
// and clears itself once the child is gone.
func (e *procEnv) interruptAt(n int64, sig syscall.Signal) *lateChild {
	late := newLateChild()
	var seen atomic.Int64
	var once sync.Once
	hook := func(r *http.Request) bool {
		if seen.Add(1) == n {
			once.Do(func() {
				c := late.get()
				if sig == syscall.SIGKILL {
					c.kill()
				} else {
					c.cmd.Process.Signal(sig)
				}
			})
			return sig != syscall.SIGKILL
		}
		return true
	}
	e.onRequest.Store(&hook)
	return late
}

// TestPhantomRows: a resume of a report, killed before it read an order;
// the resume of that, killed before it read the order again; then the
// resume that finishes. Every line appears once per input row in every
// report of the chain, and the books are an uninterrupted run's.
func TestPhantomRows(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	e := newProcEnv(t, 1)
	late := e.interruptAt(4, syscall.SIGINT) // after the first order: the rest pending
	c := e.start("run", absSample(t), "--report", "r1.xlsx")
	late.set(c)
	if code := c.wait(t); code != exitInterrupted {
		t.Fatalf("run: exit %d\n%s", code, c.stderrText())
	}
	e.onRequest.Store(nil)
	for i, rep := range []string{"r2.xlsx", "r2.xlsx"} {
		late := e.interruptAt(2, syscall.SIGKILL)
		from := "r1.xlsx"
		if i > 0 {
			from = "r2.xlsx.journal"
		}
		c := e.start("run", "--resume", from, "--report", rep)
		late.set(c)
		if code := c.wait(t); code != -1 {
			t.Fatalf("resume %d: exit %d before it was killed\n%s", i+1, code, c.stderrText())
		}
		e.onRequest.Store(nil)
	}
	res := e.start("run", "--resume", "r2.xlsx.journal", "--report", "r2.xlsx")
	if code := res.wait(t); code != exitIncomplete {
		t.Fatalf("final resume: exit %d\n%s", code, res.stderrText())
	}
	got := readLines(t, filepath.Join(e.dir, "r2.xlsx"))
	if len(got) != len(sampleWant) {
		t.Errorf("%d lines, want %d: %v", len(got), len(sampleWant), got)
	}
	e.checkComplete(t, filepath.Join(e.dir, "r2.xlsx"), want)
	if strings.Count(workbookFacts(t, filepath.Join(e.dir, "r2.xlsx")), "duplicate") != strings.Count(want, "duplicate") {
		t.Error("duplicate rows that no input row caused")
	}
}

// runConfig adds keys of the run section to the child's config.
func (e *procEnv) runConfig(yaml string) {
	b, err := os.ReadFile(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	os.WriteFile(e.config, []byte(strings.Replace(string(b), "run:\n", "run:\n"+yaml, 1)), 0o644)
}

// The phantom rows of an order never read: a report whose lines are
// unsettled (accepted as pending, never seen done); its resume killed
// while sending the order again (its intent journaled); the resume of that
// stopped before it read the order. Each line is in that report once, and
// the chain ends in the books of an uninterrupted run.
func TestPhantomRowsOfAnOrderNeverRead(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	e := newFaultyProcEnv(t, 1, sandbox.Faults{Pending: 1, PendingDelay: time.Hour})
	e.runConfig("  settle_timeout: 300ms\n")
	c := e.start("run", absSample(t), "--report", "r1.xlsx")
	if code := c.wait(t); code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", code, c.stderrText())
	}
	if got := readLines(t, filepath.Join(e.dir, "r1.xlsx"))["2/0"]; got != "failed 4→-" {
		t.Fatalf("line 2/0 of r1 = %q, want failed and unsettled", got)
	}
	// Partner Center never carries those cancellations out.
	for _, o := range []string{"Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0", "Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_"} {
		e.sb.LosePending("4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", o)
	}
	e.sb.LosePending("b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76", "Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-")
	e.sb.SetFaults(sandbox.Faults{})
	// The resume sends the first order again, and dies on that PATCH.
	late := newLateChild()
	var once sync.Once
	hook := func(r *http.Request) bool {
		if r.Method == http.MethodPatch {
			once.Do(func() { late.get().kill() })
			return false
		}
		return true
	}
	e.onRequest.Store(&hook)
	c = e.start("run", "--resume", "r1.xlsx", "--report", "r2.xlsx")
	late.set(c)
	if code := c.wait(t); code != -1 {
		t.Fatalf("resume: exit %d before it was killed\n%s", code, c.stderrText())
	}
	// Its resume is stopped before it reads a single order.
	late = e.interruptAt(1, syscall.SIGINT)
	c = e.start("run", "--resume", "r2.xlsx.journal", "--report", "r2.xlsx")
	late.set(c)
	if code := c.wait(t); code != exitInterrupted {
		t.Fatalf("second resume: exit %d\n%s", code, c.stderrText())
	}
	e.onRequest.Store(nil)
	lines := readLines(t, filepath.Join(e.dir, "r2.xlsx"))
	if len(lines) != len(sampleWant) {
		t.Errorf("r2 has %d lines, want one per line of the input (%d)", len(lines), len(sampleWant))
	}
	prior, err := report.Open(filepath.Join(e.dir, "r2.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	prior.Lines(func(record.LineResult) error { n++; return nil })
	prior.Close()
	if n != len(sampleWant) {
		t.Errorf("r2's Lines sheet has %d rows, want %d", n, len(sampleWant))
	}
	res := e.start("run", "--resume", "r2.xlsx", "--report", "r3.xlsx")
	if code := res.wait(t); code != exitIncomplete {
		t.Fatalf("final resume: exit %d\n%s", code, res.stderrText())
	}
	if got := workbookFacts(t, filepath.Join(e.dir, "r3.xlsx")); got != want {
		t.Errorf("the books differ from an uninterrupted run's:\n%s", lineDiff(want, got))
	}
}
