package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/ledger"
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

// journals lists the journals left in the env's folder.
func (e *procEnv) journals() []string {
	m, _ := filepath.Glob(filepath.Join(e.dir, "*.journal"))
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// requests counts what the sandbox has been asked.
func (e *procEnv) requests() int { return e.sb.Stats().Requests }

// killed runs pcreconcile with args and kills it at its n-th request.
func (e *procEnv) killed(t *testing.T, n int64, args ...string) {
	t.Helper()
	late := e.interruptAt(n, syscall.SIGKILL)
	c := e.start(args...)
	late.set(c)
	if code := c.wait(t); code != -1 {
		t.Fatalf("%v: exit %d before it was killed\n%s", args, code, c.stderrText())
	}
	e.onRequest.Store(nil)
}

// refusedChild runs pcreconcile with args and expects exit 2 with want in
// its stderr, and nothing asked of Partner Center.
func (e *procEnv) refusedChild(t *testing.T, want string, args ...string) string {
	t.Helper()
	before := e.requests()
	c := e.start(args...)
	if code := c.wait(t); code != exitUsage || !strings.Contains(c.stderrText(), want) {
		t.Errorf("%v: exit %d, want 2 and %q\n%s", args, code, want, c.stderrText())
	}
	if n := e.requests() - before; n != 0 {
		t.Errorf("%v: %d requests sent by a refused command", args, n)
	}
	return c.stderrText()
}

// finish runs pcreconcile with args to its end (exit 1: the sample has
// problems a person must look at) and checks the books.
func (e *procEnv) finish(t *testing.T, want, rep string, args ...string) {
	t.Helper()
	c := e.start(args...)
	if code := c.wait(t); code != exitIncomplete {
		t.Fatalf("%v: exit %d\n%s", args, code, c.stderrText())
	}
	e.checkComplete(t, filepath.Join(e.dir, rep), want)
	checkOnce(t, e.sb.Stats())
}

// checkOnce fails t if the sandbox did something twice.
func checkOnce(t *testing.T, st sandbox.Stats) {
	t.Helper()
	for _, p := range st.Twice() {
		t.Error(p)
	}
}

// The same resume twice. The hint a killed run prints resumes its journal
// into its report: killed too, and run again from shell history, it goes
// on from the newest link (the journal was taken over) and the books are
// exact. A journal a later resume continued elsewhere, and a report a
// finished resume continued, are refused — naming the newest link and the
// command that continues it — and nothing is sent.
func TestTheSameResumeTwice(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	t.Run("the printed hint, twice", func(t *testing.T) {
		t.Parallel()
		e := newProcEnv(t, 1)
		e.killed(t, 5, "run", absSample(t), "--report", "r1.xlsx")
		hint := []string{"run", "--resume", "r1.xlsx.journal", "--report", "r1.xlsx"}
		e.killed(t, 3, hint...)
		e.finish(t, want, "r1.xlsx", hint...)
		if j := e.journals(); len(j) != 0 {
			t.Errorf("journals left after the chain finished: %v", j)
		}
	})
	t.Run("a journal continued elsewhere", func(t *testing.T) {
		t.Parallel()
		e := newProcEnv(t, 1)
		e.killed(t, 5, "run", absSample(t), "--report", "r1.xlsx")
		e.killed(t, 3, "run", "--resume", "r1.xlsx.journal", "--report", "r2.xlsx")
		stderr := e.refusedChild(t, "r1.xlsx.journal is not the newest link of its chain", "run", "--resume", "r1.xlsx.journal", "--report", "r3.xlsx")
		next := "pcreconcile run --resume r2.xlsx.journal --report r2.xlsx --config " + e.config
		if !strings.Contains(stderr, "continue the chain with: "+next) {
			t.Errorf("the refusal does not say how to continue:\n%s", stderr)
		}
		e.finish(t, want, "r2.xlsx", "run", "--resume", "r2.xlsx.journal", "--report", "r2.xlsx")
		if j := e.journals(); len(j) != 0 {
			t.Errorf("journals left after the chain finished: %v", j)
		}
		if _, err := os.Stat(filepath.Join(e.dir, "r3.xlsx")); err == nil {
			t.Error("the refused resume wrote a report")
		}
	})
	t.Run("an old report after a finished resume", func(t *testing.T) {
		t.Parallel()
		e := newProcEnv(t, 1)
		late := e.interruptAt(4, syscall.SIGINT)
		c := e.start("run", absSample(t), "--report", "r1.xlsx")
		late.set(c)
		if code := c.wait(t); code != exitInterrupted {
			t.Fatalf("run: exit %d\n%s", code, c.stderrText())
		}
		e.onRequest.Store(nil)
		e.finish(t, want, "r2.xlsx", "run", "--resume", "r1.xlsx", "--report", "r2.xlsx")
		stderr := e.refusedChild(t, "r1.xlsx is not the newest link of its chain", "run", "--resume", "r1.xlsx", "--report", "r3.xlsx")
		if !strings.Contains(stderr, "that chain is finished: nothing is left to do") || !strings.Contains(stderr, "r2.xlsx") {
			t.Errorf("the refusal does not name the newest report:\n%s", stderr)
		}
	})
}

// Stale journals: once a chain of crashes has finished, none of its
// journals is left; a fresh run of the sheet next month is not pointed at
// one — even at one restored from a backup, which is removed.
func TestStaleJournals(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	e := newProcEnv(t, 1)
	e.killed(t, 5, "run", absSample(t), "--report", "r1.xlsx")
	backup, err := os.ReadFile(filepath.Join(e.dir, "r1.xlsx.journal"))
	if err != nil {
		t.Fatal(err)
	}
	e.killed(t, 3, "run", "--resume", "r1.xlsx.journal", "--report", "r2.xlsx")
	e.finish(t, want, "r3.xlsx", "run", "--resume", "r2.xlsx.journal", "--report", "r3.xlsx")
	if j := e.journals(); len(j) != 0 {
		t.Fatalf("journals left after the chain finished: %v", j)
	}
	os.WriteFile(filepath.Join(e.dir, "r1.xlsx.journal"), backup, 0o600)
	// Against a real endpoint the same sheet twice needs --again; what must
	// not happen is a hint pointing at the stale journal.
	c := e.start("run", absSample(t), "--report", "next-month.xlsx")
	if code := c.wait(t); code != exitUsage || strings.Contains(c.stderrText(), "continue it with") || !strings.Contains(c.stderrText(), "--again") {
		t.Errorf("a fresh run of the sheet: exit %d\n%s", code, c.stderrText())
	}
	c = e.start("run", absSample(t), "--again", "--report", "next-month.xlsx")
	if code := c.wait(t); code != exitIncomplete || strings.Contains(c.stderrText(), "continue it with") {
		t.Errorf("a fresh run of the sheet: exit %d\n%s", code, c.stderrText())
	}
	if j := e.journals(); len(j) != 0 {
		t.Errorf("the stale journal is still there: %v", j)
	}
}

// Two resumes at once, as two operators in two terminals would: the
// second is refused at once, naming the process that holds the chain, and
// sends nothing; the first finishes with exact books. Once it is done, the
// chain is free again.
func TestTwoResumesAtOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	e := newProcEnv(t, 1)
	late := e.interruptAt(4, syscall.SIGINT)
	c := e.start("run", absSample(t), "--report", "r1.xlsx")
	late.set(c)
	if code := c.wait(t); code != exitInterrupted {
		t.Fatalf("run: exit %d\n%s", code, c.stderrText())
	}
	// The first resume holds its first request until the second was refused.
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func(r *http.Request) bool {
		once.Do(func() {
			close(held)
			<-release
		})
		return true
	}
	e.onRequest.Store(&hook)
	first := e.start("run", "--resume", "r1.xlsx", "--report", "a.xlsx")
	<-held
	stderr := e.refusedChild(t, "is in progress: pid "+fmt.Sprint(first.cmd.Process.Pid), "run", "--resume", "r1.xlsx", "--report", "b.xlsx")
	if !strings.Contains(stderr, "--resume r1.xlsx --report a.xlsx") {
		t.Errorf("the refusal does not say what holds the chain:\n%s", stderr)
	}
	close(release)
	if code := first.wait(t); code != exitIncomplete {
		t.Fatalf("the first resume: exit %d\n%s", code, first.stderrText())
	}
	e.onRequest.Store(nil)
	e.checkComplete(t, filepath.Join(e.dir, "a.xlsx"), want)
	checkOnce(t, e.sb.Stats())
	if _, err := os.Stat(filepath.Join(e.dir, "b.xlsx")); err == nil {
		t.Error("the refused resume wrote a report")
	}
	e.refusedChild(t, "is not the newest link", "run", "--resume", "r1.xlsx", "--report", "b.xlsx")
}

// Accepted but pending, between processes: Partner Center accepts each
// cancellation and carries it out an hour later (on the sandbox's clock,
// which the test moves). The run reports the lines failed and still
// processing; a resume while they are pending sends nothing; a resume
// after they landed reports them cancelled by this tool, with their
// amounts — the books of an uninterrupted run, one MS-RequestId per order.
func TestAcceptedButPendingAcrossResumes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	e := newFaultyProcEnv(t, 2, sandbox.Faults{Pending: 1, PendingDelay: time.Hour})
	e.runConfig("  settle_timeout: 300ms\n")
	c := e.start("run", absSample(t), "--report", "r1.xlsx")
	if code := c.wait(t); code != exitIncomplete {
		t.Fatalf("run: exit %d\n%s", code, c.stderrText())
	}
	if got := readLines(t, filepath.Join(e.dir, "r1.xlsx"))["5/1"]; got != "failed 50→-" {
		t.Errorf("a pending line after the run: %q", got)
	}
	patches := e.sb.Stats().Patches
	c = e.start("run", "--resume", "r1.xlsx", "--report", "r2.xlsx")
	if code := c.wait(t); code != exitIncomplete {
		t.Fatalf("resume while pending: exit %d\n%s", code, c.stderrText())
	}
	if n := e.sb.Stats().Patches - patches; n != 0 {
		t.Errorf("%d PATCHes sent while the earlier ones were pending", n)
	}
	e.advance(2 * time.Hour)
	e.finish(t, want, "r3.xlsx", "run", "--resume", "r2.xlsx", "--report", "r3.xlsx")
	lines := readLines(t, filepath.Join(e.dir, "r3.xlsx"))
	if lines["5/1"] != "cancelled 50→0" {
		t.Errorf("line 5/1 after it landed: %q", lines["5/1"])
	}
}

// The guard has no folder: the ledger is the user's, so a report filed in
// another folder does not let the same sheet run again. Its rows add up:
// what a chain cancelled is counted once, whichever link did it. And the
// hint of a second Ctrl-C writes the report under the name --report gave.
func TestTheLedgerIsTheUsers(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	realEndpoint(t, c)
	os.MkdirAll(c.path("november"), 0o755)
	os.MkdirAll(c.path("filed"), 0o755)
	c.writeReport = failingReport
	c.runCfg("run", sampleCSV, "--yes", "--report", c.path("november/a.xlsx"))
	c.writeReport = nil
	if res := c.runCfg("run", "--resume", c.path("november/a.xlsx.journal"), "--yes", "--report", c.path("november/a.xlsx")); res.code != exitIncomplete {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	os.Rename(c.path("november/a.xlsx"), c.path("filed/a.xlsx"))
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("december.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "already ran against") {
		t.Errorf("the same sheet from another folder: exit %d\n%s", res.code, res.stderr)
	}
	led, err := ledger.Read(ledger.DefaultPath(c.dir))
	if err != nil {
		t.Fatal(err)
	}
	var total []string
	for _, e := range led.Runs() {
		if e.AmountCancelled != "" {
			total = append(total, e.AmountCancelled)
		}
	}
	if strings.Join(total, " + ") != "EUR 25,147.80; USD 51,947.10" {
		t.Errorf("the ledger's amounts: %q, want the chain's once", total)
	}
}

// Edited cells are not believed: a report whose Quantity Before or Status
// was changed in a spreadsheet is refused by a resume (exit 2, nothing
// sent) naming the row, the column and the value the seal expects, and
// verify says the same (exit 1). The report as written verifies (exit 0)
// and matches the ledger.
func TestEditedCellsAreNotBelieved(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	if res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("verify", c.path("plan.xlsx")); res.code != exitOK || !strings.Contains(res.stdout, "as written by pcreconcile") || !strings.Contains(res.stdout, "matches the ledger") {
		t.Errorf("verify of the plan as written: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// Row 3 of the Lines sheet is input row 3: line 0 of Hs3N…, 25 licences.
	for _, tt := range []struct {
		name, column string
		value        any
		want         string
	}{
		{"quantity.xlsx", "Quantity Before", 4000, `Lines row 3, Quantity Before: "4000" — the seal says "25"`},
		{"status.xlsx", "Status", "cancelled", `Lines row 3, Status: "cancelled" — the seal says "would_cancel"`},
	} {
		f, err := excelize.OpenFile(c.path("plan.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Lines")
		col := slices.Index(rows[0], tt.column)
		cell, _ := excelize.CoordinatesToCellName(col+1, 3)
		f.SetCellValue("Lines", cell, tt.value)
		f.SaveAs(c.path(tt.name))
		f.Close()
		res := c.refused(hits, tt.want, "run", "--resume", c.path(tt.name), "--yes", "--report", c.path("r-"+tt.name))
		if !strings.Contains(res.stderr, "pcreconcile verify") {
			t.Errorf("the refusal does not say how to see every change:\n%s", res.stderr)
		}
		if res := c.runCfg("verify", c.path(tt.name)); res.code != exitIncomplete || !strings.Contains(res.stdout, "CHANGED") || !strings.Contains(res.stdout, tt.want) {
			t.Errorf("verify %s: exit %d\n%s", tt.name, res.code, res.stdout)
		}
	}
	if res := c.runCfg("verify", sampleCSV); res.code != exitUsage {
		t.Errorf("verify of a sheet that is no report: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// A report Excel or LibreOffice saved again is the same report: it
// verifies, and executing it gives the books of a direct run.
func TestLibreOfficeResaveVerifiesAndResumes(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	resaved := filepath.Join("testdata", "libreoffice", "plan-resaved.xlsx")
	if res := c.runCfg("verify", resaved); res.code != exitOK || !strings.Contains(res.stdout, "as written by pcreconcile") {
		t.Errorf("verify: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res := c.runCfg("run", "--resume", resaved, "--report", c.path("run.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("run --resume of the re-saved plan: exit %d\n%s", res.code, res.stderr)
	}
	if got := readLines(t, c.path("run.xlsx")); !maps.Equal(got, sampleWant) {
		t.Errorf("lines after executing the re-saved plan:\n got %v\nwant %v", got, sampleWant)
	}
}

// Signals: the first is an orderly stop whatever the order of flags and
// command; two that arrive microseconds apart (a process group's) are one;
// a signal while the books are written still ends in 130, with the books.
func TestSignalsStopInOrder(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, tt := range []struct {
		name  string
		flags []string
		sigs  int
	}{
		{"flags before the command", []string{"--quiet"}, 1},
		{"two signals at once", nil, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newProcEnv(t, 1)
			late := newLateChild()
			var once sync.Once
			hook := func() {
				once.Do(func() {
					for range tt.sigs {
						late.get().cmd.Process.Signal(syscall.SIGINT)
					}
				})
			}
			e.patchHook.Store(&hook)
			args := append(slices.Clone(tt.flags), "run", absSample(t), "--report", "r.xlsx")
			c := e.start(args...)
			late.set(c)
			if code := c.wait(t); code != exitInterrupted {
				t.Fatalf("exit %d, want 130\n%s", code, c.stderrText())
			}
			if _, err := os.Stat(filepath.Join(e.dir, "r.xlsx")); err != nil {
				t.Errorf("no report after an orderly stop: %v\n%s", err, c.stderrText())
			}
		})
	}
	t.Run("while the books are written", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t)
		ctx, cancel := context.WithCancelCause(t.Context())
		c.writeReport = func(o report.Options) (*report.Counts, error) {
			cancel(errInterrupted) // SIGTERM arrives now
			return report.Write(o)
		}
		res := c.runCtx(ctx, "run", sampleCSV, "--config", c.config, "--report", c.path("r.xlsx"))
		if res.code != exitInterrupted {
			t.Errorf("exit %d, want 130\n%s", res.code, res.stderr)
		}
		if _, err := os.Stat(c.path("r.xlsx")); err != nil {
			t.Errorf("the report: %v", err)
		}
	})
}
