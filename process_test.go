package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/samples"
)

// TestMain lets the test binary stand in for pcreconcile: the process tests
// run it as a child with PCRECONCILE_BE_MAIN=1 and kill or interrupt it.
func TestMain(m *testing.M) {
	if os.Getenv("PCRECONCILE_BE_MAIN") == "1" {
		main()
		return
	}
	before := strayFiles()
	code := m.Run()
	// Tests write into their own temporary directories, never into the
	// repository (the .gitignore would hide what they left there).
	for _, f := range strayFiles() {
		if !slices.Contains(before, f) {
			fmt.Fprintf(os.Stderr, "a test left %s in the repository\n", f)
			code = 1
		}
	}
	os.Exit(code)
}

// strayFiles lists what a run leaves in the working directory.
func strayFiles() []string {
	var out []string
	for _, pattern := range []string{"*.xlsx", "*.journal", "*.xlsx.lock", "pcreconcile-history.csv"} {
		m, _ := filepath.Glob(pattern)
		out = append(out, m...)
	}
	return out
}

// procEnv is a sandbox served by the test process, which a child
// pcreconcile uses as its (real) endpoint.
type procEnv struct {
	t      *testing.T
	dir    string
	sb     *sandbox.Server
	config string
	// onRequest, when set, sees every order request (GET or PATCH of an
	// order: not the catalogue's) before the sandbox does; it returns false
	// to drop it unserved.
	onRequest atomic.Pointer[func(r *http.Request) bool]
	patchHook atomic.Pointer[func()]
	// ahead moves the sandbox's clock on from the real one: a pending
	// cancellation lands when the test says.
	ahead atomic.Int64
}

// advance moves the sandbox's clock on by d.
func (e *procEnv) advance(d time.Duration) { e.ahead.Add(int64(d)) }

func newProcEnv(t *testing.T, conc int) *procEnv {
	return newFaultyProcEnv(t, conc, sandbox.Faults{})
}

// newFaultyProcEnv is newProcEnv with the sandbox's faults switched on.
func newFaultyProcEnv(t *testing.T, conc int, faults sandbox.Faults) *procEnv {
	t.Helper()
	e := &procEnv{t: t, dir: t.TempDir()}
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	var err error
	e.sb, err = sandbox.New(st, sandbox.Options{Faults: faults, Now: func() time.Time { return time.Now().Add(time.Duration(e.ahead.Load())) }, OnPatchApplied: func(string, string) {
		if h := e.patchHook.Load(); h != nil {
			(*h)()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := e.onRequest.Load(); h != nil && strings.Contains(r.URL.Path, "/orders/") && !(*h)(r) {
			return
		}
		e.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.config = filepath.Join(e.dir, "pcreconcile.yaml")
	os.WriteFile(e.config, []byte(fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  mode: token\nrun:\n  concurrency: %d\n  requests_per_minute: 60000\nhistory:\n  path: %s\n", srv.URL, conc, filepath.Join(e.dir, "ledger", "history.csv"))), 0o644)
	return e
}

// lateChild hands a child to hooks that may run before start returns.
type lateChild struct {
	c     *child
	ready chan struct{}
}

func newLateChild() *lateChild { return &lateChild{ready: make(chan struct{})} }

func (l *lateChild) set(c *child) { l.c = c; close(l.ready) }

func (l *lateChild) get() *child { <-l.ready; return l.c }

type child struct {
	cmd     *exec.Cmd
	stdout  bytes.Buffer
	mu      sync.Mutex
	errAll  bytes.Buffer
	lines   chan string
	errDone chan struct{}
	done    chan struct{}
}

// start runs pcreconcile (this test binary) in e.dir.
func (e *procEnv) start(args ...string) *child {
	e.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	c := &child{lines: make(chan string, 4096), errDone: make(chan struct{}), done: make(chan struct{})}
	c.cmd = exec.Command(exe, append([]string{args[0], "--config", e.config, "--yes"}, args[1:]...)...)
	c.cmd.Dir = e.dir
	c.cmd.Env = append(os.Environ(), "PCRECONCILE_BE_MAIN=1", "PC_ACCESS_TOKEN=opaque-test-token")
	c.cmd.Stdout = &c.stdout
	// A real pipe for stderr: Wait then does not depend on anyone reading it.
	pr, pw, err := os.Pipe()
	if err != nil {
		e.t.Fatal(err)
	}
	c.cmd.Stderr = pw
	if err := c.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	pw.Close()
	go func() {
		defer close(c.errDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			c.mu.Lock()
			c.errAll.WriteString(sc.Text() + "\n")
			c.mu.Unlock()
			select {
			case c.lines <- sc.Text():
			default:
			}
		}
		pr.Close()
	}()
	go func() {
		c.cmd.Wait()
		close(c.done)
	}()
	return c
}

// kill sends SIGKILL and returns once the process is gone, so that nothing
// the test does afterwards can reach it.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

// wait returns the exit code (-1 when killed) once the child is gone.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatal("the child did not finish")
	}
	<-c.errDone
	return c.cmd.ProcessState.ExitCode()
}

func (c *child) stderrText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errAll.String()
}

// waitForLine blocks until stderr prints a line containing s.
func (c *child) waitForLine(t *testing.T, s string) {
	t.Helper()
	for {
		select {
		case line := <-c.lines:
			if strings.Contains(line, s) {
				return
			}
		case <-c.errDone:
			t.Fatalf("stderr ended without %q:\n%s", s, c.stderrText())
		}
	}
}

// checkComplete asserts that a finished report is the books of the sample
// exactly as an uninterrupted run writes them (want), that nothing was
// cancelled twice, and that no journal is left.
func (e *procEnv) checkComplete(t *testing.T, rep, want string) {
	t.Helper()
	if got := workbookFacts(t, rep); got != want {
		t.Errorf("the workbook differs from an uninterrupted run's:\n%s", lineDiff(want, got))
	}
	st := e.sb.Stats()
	for order, n := range st.Applied {
		if n > 1 {
			t.Errorf("order %s was changed by %d PATCHes", order, n)
		}
	}
	if len(st.LinesCancelled) != 6 {
		t.Errorf("lines cancelled in the sandbox: %v, want the sample's 6", st.LinesCancelled)
	}
	if _, err := os.Stat(journal.Path(rep)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after a complete run: %v", err)
	}
}

// workbookFacts is what a workbook says about money and quantities — each
// line's status, quantities, price and amount, each order's totals — with
// what differs between runs (ids, times, attempts, messages) left out.
func workbookFacts(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range []struct {
		name string
		cols []string
	}{
		{"Lines", []string{"Source Row", "Line Item Number", "Status", "Quantity Before", "Quantity After", "Unit Price", "Currency", "Amount Cancelled"}},
		{"Orders", []string{"Order ID", "Lines Requested", "Lines Cancelled", "Quantity Cancelled", "Currency", "Amount Cancelled", "Outcome"}},
	} {
		rows, err := f.GetRows(sheet.name)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", sheet.name, err)
		}
		var lines []string
		for _, r := range rows[1:] {
			var cells []string
			for _, c := range sheet.cols {
				i := slices.Index(rows[0], c)
				if i < 0 {
					t.Fatalf("%s has no column %s", sheet.name, c)
				}
				v := ""
				if i < len(r) {
					v = r[i]
				}
				cells = append(cells, v)
			}
			lines = append(lines, sheet.name+": "+strings.Join(cells, " | "))
		}
		sort.Strings(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// uninterrupted returns the workbook facts of the sample run from start
// to end without a fault, on a fresh sandbox: what every crashed-and-resumed
// run must end with.
func uninterrupted(t *testing.T) string {
	t.Helper()
	e := newProcEnv(t, 4)
	c := e.start("run", absSample(t), "--report", "ref.xlsx")
	if code := c.wait(t); code != exitIncomplete {
		t.Fatalf("reference run exit %d:\n%s", code, c.stderrText())
	}
	return workbookFacts(t, filepath.Join(e.dir, "ref.xlsx"))
}

// TestKill9AtManyPointsThenResume kills pcreconcile with SIGKILL at many
// instants — on the n-th request before it is served, and right after
// Partner Center applied the m-th PATCH but before its answer reached the
// journal — then resumes; some points kill the resume too, and the resume
// of that, before one finishes. Every final workbook must be the books an
// uninterrupted run of the same sheet writes on a fresh sandbox — the same
// statuses, quantities, prices, amounts and order totals — and no order may
// be changed by two PATCHes. The seeded points add sandbox faults (503s,
// PATCHes applied and then dropped), and the seed picks the instant and
// the concurrency, so a failure names its replay.
func TestKill9AtManyPointsThenResume(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	want := uninterrupted(t)
	// kill says when one run dies: on receiving its request-th request
	// (unserved), or right after its patch-th PATCH was applied (unanswered).
	type kill struct{ request, patch int }
	type point struct {
		name       string
		kills      []kill // one per run: the first run, then each resume
		concurrent int
		faults     sandbox.Faults
	}
	var points []point
	for _, n := range []int{1, 2, 4, 7, 10, 13, 16} {
		points = append(points, point{name: fmt.Sprintf("request %d", n), kills: []kill{{request: n}}, concurrent: 1 + n%3})
	}
	for _, m := range []int{1, 2, 3} { // the sample has three PATCHes that apply
		points = append(points, point{name: fmt.Sprintf("after PATCH %d applied", m), kills: []kill{{patch: m}}, concurrent: 1 + m%2})
	}
	points = append(points,
		point{name: "after each applied PATCH, in three runs in a row", kills: []kill{{patch: 1}, {patch: 1}, {patch: 1}}, concurrent: 1},
		point{name: "request 3, then after a PATCH, then request 2", kills: []kill{{request: 3}, {patch: 1}, {request: 2}}, concurrent: 2},
	)
	for seed := range uint64(4) {
		// The sample makes 16 requests without faults: any of 2..15 comes.
		r := rand.New(rand.NewPCG(seed, 0x6b696c6c))
		n, conc := 2+r.IntN(14), 1+r.IntN(3)
		points = append(points, point{
			name:  fmt.Sprintf("seed %d: request %d with faults", seed, n),
			kills: []kill{{request: n}}, concurrent: conc,
			faults: sandbox.Faults{Seed: int64(seed), Error503: 0.1, Drop: 0.3},
		})
	}
	var faults atomic.Int64 // faults the seeded points met
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			e := newFaultyProcEnv(t, p.concurrent, p.faults)
			resumed := ""
			for i, k := range p.kills {
				late := newLateChild()
				var requests, patches atomic.Int64
				var once sync.Once
				kill := func() { once.Do(func() { late.get().kill() }) }
				hook := func(r *http.Request) bool {
					if k.request > 0 && requests.Add(1) == int64(k.request) {
						kill()
						return false
					}
					return true
				}
				patchHook := func() {
					if k.patch > 0 && patches.Add(1) == int64(k.patch) {
						kill()
					}
				}
				e.onRequest.Store(&hook)
				e.patchHook.Store(&patchHook)
				rep := fmt.Sprintf("r%d.xlsx", i+1)
				args := []string{"run", absSample(t), "--report", rep}
				if resumed != "" {
					args = []string{"run", "--resume", resumed, "--report", rep}
				}
				c := e.start(args...)
				late.set(c)
				if code := c.wait(t); code != -1 {
					t.Fatalf("run %d exited %d before it was killed:\n%s", i+1, code, c.stderrText())
				}
				e.onRequest.Store(nil)
				e.patchHook.Store(nil)
				if _, err := os.Stat(filepath.Join(e.dir, rep)); !errors.Is(err, os.ErrNotExist) {
					t.Fatal("a killed run left a report")
				}
				journal, err := os.ReadFile(filepath.Join(e.dir, rep+".journal"))
				if err != nil {
					t.Fatalf("no journal after the kill: %v", err)
				}
				if strings.Contains(string(journal), "opaque-test-token") {
					t.Error("the journal contains the access token")
				}
				if i == 0 {
					// A fresh run of the same input is refused, with the command to use.
					fresh := e.start("run", absSample(t), "--report", "other.xlsx")
					if code := fresh.wait(t); code != exitUsage || !strings.Contains(fresh.stderrText(), "continue it with: pcreconcile run --resume r1.xlsx.journal --report r1.xlsx") {
						t.Errorf("fresh run over an unfinished journal: exit %d\n%s", code, fresh.stderrText())
					}
				}
				resumed = rep // the journal beside the missing report
			}
			res := e.start("run", "--resume", resumed, "--report", "final.xlsx")
			if code := res.wait(t); code != exitIncomplete {
				t.Fatalf("resume exit %d:\n%s", code, res.stderrText())
			}
			e.checkComplete(t, filepath.Join(e.dir, "final.xlsx"), want)
			st := e.sb.Stats()
			faults.Add(int64(st.Dropped + st.Errors503))
		})
	}
	if faults.Load() == 0 {
		t.Error("the seeded points met no fault: they test nothing more than the others")
	}
}

func absSample(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(sampleCSV)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSIGINTFinishesInFlightAndWritesPending interrupts a run after its
// first PATCH: the order in flight finishes, the rest is pending in a
// complete report, the exit code is 130, and --resume finishes the job.
func TestSIGINTFinishesInFlightAndWritesPending(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newProcEnv(t, 1)
	late := newLateChild()
	var once sync.Once
	hook := func() { once.Do(func() { late.get().cmd.Process.Signal(syscall.SIGINT) }) }
	e.patchHook.Store(&hook)
	c := e.start("run", absSample(t), "--report", "r.xlsx")
	late.set(c)
	if code := c.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want 130:\n%s", code, c.stderrText())
	}
	if !strings.Contains(c.stderrText(), "orders not yet sent stop now") {
		t.Errorf("stderr does not explain the interruption:\n%s", c.stderrText())
	}
	rep := filepath.Join(e.dir, "r.xlsx")
	got := readLines(t, rep)
	if got["2/0"] != "cancelled 4→0" {
		t.Errorf("the order in flight did not finish: %q", got["2/0"])
	}
	var pending int
	rows := map[string]bool{}
	for k, v := range got {
		if strings.HasPrefix(v, "pending") {
			pending++
		}
		rows[strings.Split(k, "/")[0]] = true
	}
	if pending < 8 || len(rows) != 16 {
		t.Errorf("%d pending lines, %d of the 16 input rows: %v", pending, len(rows), got)
	}
	prior, _ := report.Open(rep)
	if !strings.HasPrefix(prior.Meta[report.LabelResult], "interrupted") {
		t.Errorf("Summary result = %q", prior.Meta[report.LabelResult])
	}
	prior.Close()
	if !strings.Contains(c.stdout.String(), "pcreconcile run --resume r.xlsx") {
		t.Errorf("no command to continue:\n%s", c.stdout.String())
	}
	e.patchHook.Store(nil)
	res := e.start("run", "--resume", "r.xlsx", "--report", "final.xlsx")
	if code := res.wait(t); code != exitIncomplete {
		t.Fatalf("resume exit %d:\n%s", code, res.stderrText())
	}
	e.checkComplete(t, filepath.Join(e.dir, "final.xlsx"), uninterrupted(t))
}

// TestSecondSIGINTQuitsAtOnce: with an order stuck in flight, a second
// Ctrl-C quits without waiting; the journal keeps what finished.
func TestSecondSIGINTQuitsAtOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	e := newProcEnv(t, 1)
	release, stuck := make(chan struct{}), make(chan struct{})
	var released sync.Once
	free := func() { released.Do(func() { close(release) }) }
	defer free() // a failure before the end must not leave the server's handler stuck
	var requests atomic.Int64
	hook := func(r *http.Request) bool {
		if requests.Add(1) == 4 { // the second order's PATCH hangs: a stop waits for it
			close(stuck)
			<-release
			return false
		}
		return true
	}
	e.onRequest.Store(&hook)
	c := e.start("run", absSample(t), "--report", "r.xlsx")
	<-stuck // the first order is journaled, the second's PATCH out
	c.cmd.Process.Signal(syscall.SIGINT)
	c.waitForLine(t, "orders not yet sent stop now")
	// Signals less than a second apart are one stop (a process group's
	// signal arrives twice): a person's second Ctrl-C comes later. The gap is
	// what is under test, not a wait for something to happen.
	time.Sleep(sameSignal + 100*time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGINT)
	if code := c.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	if want := "resume later with pcreconcile run --resume r.xlsx.journal --report r.xlsx --config " + e.config; !strings.Contains(c.stderrText(), want) {
		t.Errorf("the second Ctrl-C does not say how to resume (%q):\n%s", want, c.stderrText())
	}
	if _, err := os.Stat(filepath.Join(e.dir, "r.xlsx")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a report was written although the second Ctrl-C quits at once")
	}
	old, _, err := journal.Open(filepath.Join(e.dir, "r.xlsx.journal"))
	if err != nil {
		t.Fatal(err)
	}
	if old.Len() != 1 {
		t.Errorf("journal holds %d orders, want the 1 that finished", old.Len())
	}
	old.Close()
	// Following the hint writes the report under the name --report gave.
	free()
	e.onRequest.Store(nil)
	res := e.start("run", "--resume", "r.xlsx.journal", "--report", "r.xlsx")
	if code := res.wait(t); code != exitIncomplete {
		t.Fatalf("the hint: exit %d\n%s", code, res.stderrText())
	}
	if _, err := os.Stat(filepath.Join(e.dir, "r.xlsx")); err != nil {
		t.Errorf("the hint did not write r.xlsx: %v", err)
	}
	if j := e.journals(); len(j) != 0 {
		t.Errorf("journals left: %v", j)
	}
}

func TestWrongSecretAbortsBeforeAnyOrder(t *testing.T) {
	t.Parallel()
	var apiHits atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { apiHits.Add(1) }))
	defer api.Close()
	var tokenHits atomic.Int64
	aad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'x'.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-11-21 09:00:00Z","error_codes":[7000215]}`)
	}))
	defer aad.Close()
	c := newCLI(t)
	c.config = c.writeConfig(fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  mode: app\n  tenant_id: contoso.onmicrosoft.com\n  client_id: 11111111-2222-3333-4444-555555555555\n  token_url: %s/t/oauth2/token\n", api.URL, aad.URL))
	c.env["PC_CLIENT_SECRET"] = "wrong-secret-Q8~abc"
	start := time.Now()
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("r.xlsx"))
	if res.code != exitAborted {
		t.Fatalf("exit %d, want 3\n%s", res.code, res.stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v to give up", took)
	}
	for _, want := range []string{"AADSTS7000215", "Invalid client secret provided", "hint: the client secret is wrong"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if strings.Contains(res.stderr+res.stdout, "wrong-secret-Q8~abc") {
		t.Error("the secret was printed")
	}
	if apiHits.Load() != 0 || tokenHits.Load() != 1 {
		t.Errorf("%d API requests, %d token requests; want 0 and 1", apiHits.Load(), tokenHits.Load())
	}
	if _, err := os.Stat(c.path("r.xlsx.journal")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a journal was left")
	}
}
