package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
)

var storm = flag.Int("storm", 0, "also run the storm test with this many more seeds (a long soak)")

// stop is how a run of the storm is interrupted.
type stop int

const (
	noStop    stop = iota
	kill           // SIGKILL: no report, the journal
	sigterm        // SIGTERM: an orderly stop, the report
	interrupt      // SIGINT: the same
	twice          // two SIGINTs microseconds apart: still one stop
	quit           // SIGINT, and a second one a second later: quit at once
	stopKinds
)

func (s stop) String() string {
	return [...]string{"none", "SIGKILL", "SIGTERM", "SIGINT", "double SIGINT", "SIGINT then quit"}[s]
}

// TestStorm interrupts a chain of runs at random: a seeded sequence of
// SIGKILL, SIGTERM, SIGINT, double SIGINT and a real second Ctrl-C, each at
// a random request, across resumes of resumes of reports and journals,
// with every fault of the sandbox on — 500, 503, 409 busy, PATCHes applied
// and their connection dropped, throttling, cancellations accepted as
// pending. Each seed resumes as an operator would until nothing is left,
// and must end in the books of an uninterrupted run on a fresh sandbox: no
// line cancelled twice, no order changed by two MS-RequestIds, no journal
// left, and the ledger's amounts adding up to the books'. Three seeds run
// with every go test; -storm N adds N more.
func TestStorm(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	seeds := []uint64{1, 2, 3}
	for i := range *storm {
		seeds = append(seeds, uint64(1000+i))
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			stormSeed(t, seed, want)
		})
	}
}

func stormSeed(t *testing.T, seed uint64, want string) {
	rng := rand.New(rand.NewPCG(seed, 0x73746f726d))
	zero := time.Duration(0)
	e := newFaultyProcEnv(t, 1+rng.IntN(4), sandbox.Faults{
		Seed: int64(seed), Error500: 0.08, Error503: 0.08, Busy: 0.08, Drop: 0.1, Pending: 0.3, PendingDelay: 150 * time.Millisecond,
		Throttle: sandbox.Throttle{RequestsPerMinute: 6000, Burst: 4, RetryAfter: &zero},
	})
	e.runConfig("  settle_timeout: 2s\n")
	var log []string
	defer func() {
		if t.Failed() {
			t.Logf("seed %d: %s", seed, strings.Join(log, "; "))
		}
	}()
	from, rep := "", ""
	for round := 1; ; round++ {
		if round > 20 {
			t.Fatalf("not finished after 20 runs")
		}
		kind := stop(rng.IntN(int(stopKinds)))
		if round > 12 {
			kind = noStop // an operator who stops interrupting
		}
		at := int64(1 + rng.IntN(18))
		args := []string{"run", absSample(t)}
		if from == "" {
			rep = fmt.Sprintf("r%d.xlsx", round)
			args = append(args, "--report", rep)
		} else {
			args = []string{"run", "--resume", from}
			if strings.HasSuffix(from, ".journal") && rng.IntN(2) == 0 {
				rep = strings.TrimSuffix(from, ".journal") // the hint: into the report it was for
			} else {
				rep = fmt.Sprintf("r%d.xlsx", round)
			}
			args = append(args, "--report", rep)
		}
		log = append(log, fmt.Sprintf("%v at request %d: %s", kind, at, strings.Join(args, " ")))
		code, stderr := stormRun(t, e, kind, at, args)
		switch {
		case code == -1 || code == exitInterrupted && kind == quit && !exists(e.path(rep)):
			from = rep + ".journal" // killed, or quit at once: the journal
			if !exists(e.path(from)) {
				t.Fatalf("round %d: no report and no journal %s", round, from)
			}
			continue
		case code == exitInterrupted || code == exitIncomplete || code == exitOK:
		default:
			t.Fatalf("round %d (%s): exit %d\n%s", round, strings.Join(args, " "), code, stderr)
		}
		p, err := report.Open(e.path(rep))
		if err != nil {
			t.Fatal(err)
		}
		left := p.Left()
		p.Close()
		if left == 0 {
			break
		}
		from = rep
	}
	e.checkComplete(t, e.path(rep), want)
	checkOnce(t, e.sb.Stats())
	if j := e.journals(); len(j) != 0 {
		t.Errorf("journals left after the chain finished: %v", j)
	}
	led, err := ledger.Read(filepath.Join(e.dir, "ledger", "history.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var amounts []string
	for _, r := range led.Runs() {
		if r.AmountCancelled != "" {
			amounts = append(amounts, r.AmountCancelled)
		}
	}
	if got := sumAmounts(t, amounts); got != "EUR 25147.8; USD 51947.1" {
		t.Errorf("the ledger's rows add up to %s (%v), want the books' EUR 25,147.80 and USD 51,947.10", got, amounts)
	}
	st := e.sb.Stats()
	t.Logf("seed %d: %d runs; faults 500:%d 503:%d busy:%d dropped:%d throttled:%d pending:%d", seed, len(log), st.Errors500, st.Errors503, st.Busy, st.Dropped, st.Throttled, st.Pending)
}

// stormRun runs one link of the storm and interrupts it as kind says at
// its at-th request; it returns the exit code (-1 when killed) and what it
// printed on stderr.
func stormRun(t *testing.T, e *procEnv, kind stop, at int64, args []string) (int, string) {
	t.Helper()
	late := newLateChild()
	var seen atomic.Int64
	var once sync.Once
	hook := func(r *http.Request) bool {
		if seen.Add(1) != at || kind == noStop {
			return true
		}
		served := true
		once.Do(func() {
			c := late.get()
			switch kind {
			case kill:
				c.kill()
				served = false
			case sigterm:
				c.cmd.Process.Signal(syscall.SIGTERM)
			case interrupt:
				c.cmd.Process.Signal(syscall.SIGINT)
			case twice:
				c.cmd.Process.Signal(syscall.SIGINT)
				c.cmd.Process.Signal(syscall.SIGINT)
			case quit:
				c.cmd.Process.Signal(syscall.SIGINT)
				go func() {
					time.Sleep(sameSignal + 100*time.Millisecond) // a person's second Ctrl-C
					c.cmd.Process.Signal(syscall.SIGINT)
				}()
			}
		})
		return served
	}
	e.onRequest.Store(&hook)
	defer e.onRequest.Store(nil)
	c := e.start(args...)
	late.set(c)
	code := c.wait(t)
	return code, c.stderrText()
}

func (e *procEnv) path(name string) string { return filepath.Join(e.dir, name) }

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// sumAmounts adds "EUR 25,147.80; USD 1.00" amounts per currency.
func sumAmounts(t *testing.T, amounts []string) string {
	t.Helper()
	sum := map[string]float64{}
	for _, a := range amounts {
		for part := range strings.SplitSeq(a, "; ") {
			var cur string
			var v float64
			if _, err := fmt.Sscanf(strings.ReplaceAll(part, ",", ""), "%s %f", &cur, &v); err != nil {
				t.Fatalf("amount %q: %v", part, err)
			}
			sum[cur] += v
		}
	}
	var out []string
	for _, cur := range []string{"EUR", "USD"} {
		out = append(out, fmt.Sprintf("%s %g", cur, float64(int64(sum[cur]*100+0.5))/100))
	}
	return strings.Join(out, "; ")
}
