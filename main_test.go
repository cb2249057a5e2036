package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/samples"
)

const sampleCSV = "samples/cancellations.csv"

type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command line in-process.
type cli struct {
	t      *testing.T
	dir    string
	env    map[string]string
	stdin  string
	tty    bool
	config string
	// writeReport, when set, replaces report.Write (to make it fail).
	writeReport func(report.Options) (*report.Counts, error)
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	c := &cli{t: t, dir: dir, env: map[string]string{}}
	// Tests pace requests fast; the pacing itself has its own tests.
	c.config = c.writeConfig("run:\n  requests_per_minute: 60000\nsandbox:\n  state: " + filepath.Join(dir, "sandbox-state.json") + "\n")
	return c
}

func (c *cli) writeConfig(yaml string) string {
	if !strings.Contains(yaml, "history:") && !strings.Contains(yaml, "bogus") {
		// The ledger of the test's own (also for children it starts).
		yaml += "history:\n  path: " + ledger.DefaultPath(c.dir) + "\n"
	}
	path := filepath.Join(c.dir, fmt.Sprintf("config-%d.yaml", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

func (c *cli) path(name string) string { return filepath.Join(c.dir, name) }

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runCtx(c.t.Context(), args...)
}

// runCtx runs the command line with ctx as its context (a test can stop
// it as a signal would).
func (c *cli) runCtx(ctx context.Context, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		stdin:       strings.NewReader(c.stdin),
		stdout:      &out,
		stderr:      &errb,
		getenv:      func(k string) string { return c.env[k] },
		stdinTTY:    c.tty,
		stderrTTY:   false,
		now:         time.Now,
		writeReport: c.writeReport,
		dir:         c.dir,
		configDir:   func() (string, error) { return c.dir, nil },
	}
	code := a.run(ctx, args)
	return result{code, out.String(), errb.String()}
}

// withConfig inserts --config after the command.
func (c *cli) runCfg(args ...string) result {
	c.t.Helper()
	return c.run(append([]string{args[0], "--config", c.config}, args[1:]...)...)
}

// lines reads a report's Lines sheet into "row/line" → "status before→after".
func readLines(t *testing.T, path string) map[string]string {
	t.Helper()
	prior, err := report.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer prior.Close()
	out := map[string]string{}
	err = prior.Lines(func(l record.LineResult) error {
		line := l.LineText
		if l.Line != nil {
			line = fmt.Sprint(*l.Line)
		}
		out[fmt.Sprintf("%d/%s", l.Row, line)] = fmt.Sprintf("%s %s→%s", l.Status, ptr(l.Before), ptr(l.After))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ptr(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

var sampleWant = map[string]string{
	"2/0": "cancelled 4→0", "3/0": "cancelled 25→0", "4/1": "cancelled 3→0",
	"5/0": "cancelled 2→0", "5/1": "cancelled 50→0", "5/2": "cancelled 1→0",
	"6/0": "already_cancelled 0→0", "7/0": "outside_window 12→12", "8/0": "not_cancellable 1→1",
	"9/0": "mismatch 8→8", "10/0": "mismatch 6→6", "11/4": "invalid -→-", "12/0": "not_found -→-",
	"13/0": "rejected -→-", "14/0": "duplicate -→-", "15/1": "invalid -→-", "16/2.5": "invalid -→-", "17/1": "invalid -→-",
}

func TestRunSampleOnSandbox(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	rep := c.path("r.xlsx")
	res := c.runCfg("run", sampleCSV, "--report", rep)
	if res.code != exitIncomplete {
		t.Fatalf("exit %d, want 1 (the sample holds every kind of problem)\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "SANDBOX") || !strings.Contains(res.stderr, "SANDBOX") {
		t.Errorf("the run does not say loudly that it used the sandbox:\nstdout %s\nstderr %s", res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "Quantity cancelled   85") {
		t.Errorf("summary:\n%s", res.stdout)
	}
	got := readLines(t, rep)
	for k, w := range sampleWant {
		if got[k] != w {
			t.Errorf("line %s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(sampleWant) {
		t.Errorf("%d lines in the report, want %d", len(got), len(sampleWant))
	}
	if _, err := os.Stat(journal.Path(rep)); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after a clean finish: %v", err)
	}
	prior, _ := report.Open(rep)
	defer prior.Close()
	if prior.Meta[report.LabelEndpoint] != record.SandboxEndpoint || prior.Meta[report.LabelInputSHA] == "" {
		t.Errorf("summary meta = %v", prior.Meta)
	}
}

func TestPlanThenResumeEqualsDirectRun(t *testing.T) {
	t.Parallel()
	direct := newCLI(t)
	if res := direct.runCfg("run", sampleCSV, "--report", direct.path("run.xlsx")); res.code != exitIncomplete {
		t.Fatalf("direct run exit %d: %s", res.code, res.stderr)
	}
	want := readLines(t, direct.path("run.xlsx"))

	c := newCLI(t)
	res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("plan exit %d: %s", res.code, res.stderr)
	}
	planned := readLines(t, c.path("plan.xlsx"))
	if planned["2/0"] != "would_cancel 4→4" || planned["5/1"] != "would_cancel 50→50" {
		t.Errorf("plan lines: %v", planned)
	}
	if _, err := os.Stat(c.path("sandbox-state.json")); !os.IsNotExist(err) {
		t.Error("the plan changed the sandbox state: it must send no PATCH")
	}
	if !strings.Contains(res.stdout, "pcreconcile run --resume "+c.path("plan.xlsx")) {
		t.Errorf("plan does not print the command to execute it:\n%s", res.stdout)
	}
	res = c.runCfg("run", "--resume", c.path("plan.xlsx"), "--report", c.path("run.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("resume exit %d: %s", res.code, res.stderr)
	}
	got := readLines(t, c.path("run.xlsx"))
	for k, w := range want {
		if got[k] != w {
			t.Errorf("line %s: plan+resume %q, direct run %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines vs %d", len(got), len(want))
	}
	prior, _ := report.Open(c.path("run.xlsx"))
	defer prior.Close()
	if prior.Meta[report.LabelResumed] != c.path("plan.xlsx") || !strings.HasSuffix(prior.Meta[report.LabelInput], "cancellations.csv") {
		t.Errorf("resumed report meta = %v", prior.Meta)
	}
}

// A report whose only unfinished lines were rejected by Partner Center has
// nothing a resume would change: it sends nothing and suggests no resume.
// --retry-rejected sends exactly those lines again (say, after the reseller
// relationship was restored), carrying every other line unchanged.
func TestResumeWithOnlyRejectedLinesLeft(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	sb, hits := realEndpoint(t, c)
	if res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("a.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run exit %d\n%s", res.code, res.stderr)
	}
	if got := readLines(t, c.path("a.xlsx"))["13/0"]; got != "rejected -→-" {
		t.Fatalf("no relationship: %s, want rejected", got)
	}
	first, _ := report.Open(c.path("a.xlsx"))
	runA := first.Meta[report.LabelRunID]
	first.Close()

	hits.Store(0)
	res := c.runCfg("run", "--resume", c.path("a.xlsx"), "--yes", "--report", c.path("b.xlsx"))
	if res.code != exitIncomplete || hits.Load() != 0 {
		t.Errorf("resume with only rejected lines left: exit %d, %d requests, want 1 and none\n%s", res.code, hits.Load(), res.stderr)
	}
	// Nothing can be retried: no "to continue"; the rejected line gets the
	// way to send it again once its cause is fixed.
	if strings.Contains(res.stdout, "To continue") || !strings.Contains(res.stdout, "--retry-rejected") {
		t.Errorf("want no continue hint, and --retry-rejected for the rejected line:\n%s", res.stdout)
	}

	// The relationship is back: --retry-rejected sends the rejected line.
	sb.SetRelationship("7c2b9e48-d1f3-4a0e-b6c5-3e8d0a4f9b12", true)
	res = c.runCfg("run", "--resume", c.path("b.xlsx"), "--retry-rejected", "--yes", "--report", c.path("c.xlsx"))
	if hits.Load() != 2 { // the GET and the PATCH of that one order
		t.Errorf("--retry-rejected made %d requests, want 2\n%s", hits.Load(), res.stderr)
	}
	prior, _ := report.Open(c.path("c.xlsx"))
	defer prior.Close()
	runC := prior.Meta[report.LabelRunID]
	byRun := map[string][]string{}
	prior.Lines(func(l record.LineResult) error {
		byRun[l.RunID] = append(byRun[l.RunID], fmt.Sprintf("%d:%s", l.Row, l.Status))
		return nil
	})
	if got := strings.Join(byRun[runC], " "); got != "13:cancelled" {
		t.Errorf("lines processed by --retry-rejected: %s, want 13:cancelled", got)
	}
	if len(byRun[runA]) != len(sampleWant)-1 {
		t.Errorf("carried lines keep their run id: %v", byRun)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	res := c.runCfg("check", sampleCSV)
	if res.code != exitIncomplete {
		t.Errorf("check exit %d", res.code)
	}
	for _, want := range []string{"4 customers, 11 orders, 12 rows: 11 lines and 1 row asking for every line of its order", "row 15: Customer Tenant ID \"not-a-guid\"", "duplicate — 1 row"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, res.stdout)
		}
	}
	res = c.runCfg("check", sampleCSV, "--format", "json")
	var doc plan.CheckReport
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, res.stdout)
	}
	if doc.Valid || len(doc.Problems) != 4 || doc.Problems[1].Row != 15 || doc.Problems[1].Column != "Customer Tenant ID" || doc.Problems[1].Value != "not-a-guid" {
		t.Errorf("json = %+v", doc)
	}
	good := c.path("good.csv")
	os.WriteFile(good, []byte("Customer Tenant ID,Order ID,Line\n4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57,o1,0\n"), 0o644)
	if res := c.runCfg("check", good); res.code != exitOK || !strings.Contains(res.stdout, "every row is valid") {
		t.Errorf("valid sheet: exit %d\n%s", res.code, res.stdout)
	}
	bad := c.path("bad.csv")
	os.WriteFile(bad, []byte("Name,Order\nx,y\n"), 0o644)
	if res := c.runCfg("check", bad); res.code != exitUsage || !strings.Contains(res.stderr, "pcreconcile: error:") || !strings.Contains(res.stderr, "pcreconcile: hint:") {
		t.Errorf("structural error: exit %d\n%s", res.code, res.stderr)
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ yaml, want string }{
		{"run:\n  concurrency: 4\n  bogus: 1\n", `line 3: unknown key "bogus" in run`},
		{"partner_centre:\n  cloud: global\n", `line 1: unknown key "partner_centre" at the top level`},
		{"run:\n  concurrency: many\n", `line 2: run.concurrency: "many" is not a whole number`},
		{"run:\n  concurrency: 2\n  concurrency: 3\n", `line 3: "concurrency" is set twice (first on line 2)`},
		{"partner_center:\n  base_url: http://pc.example.com\n", "line 2: partner_center.base_url: refusing plain http://"},
		{"partner_center:\n  cloud: mars\n", "line 2: partner_center.cloud"},
		{"auth:\n  client_secret_env: 'x9~Q.abc-secret-value'\n", "line 2: auth.client_secret_env: must be the name of an environment variable"},
		{"partner_center:\n  timeout: soon\n", `"soon" is not a duration`},
		{"input:\n  columns:\n    order: [Auftrag]\n", "line 3: input.columns: unknown column"},
		{"sandbox:\n  faults:\n    drop: 2\n", "sandbox.faults"},
	}
	for _, tt := range tests {
		c := newCLI(t)
		c.config = c.writeConfig(tt.yaml)
		res := c.runCfg("run", sampleCSV)
		if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("config %q: exit %d, stderr %q; want 2 and %q", tt.yaml, res.code, res.stderr, tt.want)
		}
		if strings.Contains(res.stderr, "x9~Q") {
			t.Errorf("a secret pasted into the config was echoed: %s", res.stderr)
		}
	}
	c := newCLI(t)
	c.config = c.writeConfig("")
	if res := c.runCfg("check", sampleCSV); res.code != exitIncomplete {
		t.Errorf("an empty config is valid: exit %d %s", res.code, res.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	os.WriteFile(c.path("exists.xlsx"), []byte("x"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "run needs an INPUT file"},
		{[]string{"run", sampleCSV, "--resume", "r.xlsx"}, "hint: did you mean pcreconcile run --resume r.xlsx?"},
		{[]string{"run", "--resume", "r.xlsx", "--fresh"}, "contradict"},
		{[]string{"run", sampleCSV, "--report", c.path("exists.xlsx")}, "exists"},
		{[]string{"run", sampleCSV, "--rate", "fast"}, "--rate"},
		{[]string{"run", sampleCSV, "--concurrency", "500"}, "out of range"},
		{[]string{"run", "a.csv", "b.csv"}, "takes one INPUT"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"run", c.path("missing.csv")}, "check the path"},
		{[]string{"run", "--resume", c.path("missing.xlsx")}, "cannot resume"},
	}
	for _, tt := range tests {
		res := c.run(tt.args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, res.code, res.stderr, tt.want)
		}
	}
	if b, _ := os.ReadFile(c.path("exists.xlsx")); string(b) != "x" {
		t.Error("an existing report was overwritten")
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, cmd := range []string{"check", "plan", "run", "sandbox"} {
		res := c.run(cmd, "--help")
		// On stdout, for `run --help | less`.
		if res.code != exitOK || !strings.Contains(res.stdout, "Usage: pcreconcile "+cmd) || !strings.Contains(res.stdout, "  --config FILE") || res.stderr != "" {
			t.Errorf("%s --help: exit %d\n%s%s", cmd, res.code, res.stdout, res.stderr)
		}
	}
	if res := c.run("--help"); res.code != exitOK || !strings.Contains(res.stdout, "pcreconcile run --resume") {
		t.Errorf("--help: %d %s", res.code, res.stdout)
	}
	if res := c.run("version"); res.code != exitOK || !strings.HasPrefix(res.stdout, "pcreconcile ") || !strings.Contains(res.stdout, "go1.") {
		t.Errorf("version: %q", res.stdout)
	}
}

// realEndpoint serves the sandbox as if it were Partner Center: the tool
// treats any base_url other than "sandbox" as real.
// realEndpoint points c at a sandbox served as if it were Partner Center;
// the counter counts the requests about orders (not the catalogue's).
func realEndpoint(t *testing.T, c *cli) (*sandbox.Server, *atomic.Int64) {
	t.Helper()
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	sb, _ := sandbox.New(st, sandbox.Options{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/orders/") {
			hits.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.config = c.writeConfig(fmt.Sprintf("partner_center:\n  base_url: %s\nrun:\n  requests_per_minute: 60000\nauth:\n  mode: token\n", srv.URL))
	c.env["PC_ACCESS_TOKEN"] = "opaque-test-token"
	return sb, &hits
}

func TestRealEndpointNeedsConfirmation(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	res := c.runCfg("run", sampleCSV, "--report", c.path("r.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "add --yes") || hits.Load() != 0 {
		t.Fatalf("without a terminal and --yes: exit %d, %d requests\n%s", res.code, hits.Load(), res.stderr)
	}
	if !strings.Contains(res.stderr, "About to cancel on http://127.0.0.1") || !strings.Contains(res.stderr, "4 customers, 11 orders") {
		t.Errorf("no plan summary before the question:\n%s", res.stderr)
	}
	if _, err := os.Stat(c.path("r.xlsx.journal")); !os.IsNotExist(err) {
		t.Error("a refused run left a journal")
	}

	c.tty, c.stdin = true, "n\n"
	if res := c.runCfg("run", sampleCSV, "--report", c.path("r.xlsx")); res.code != exitUsage || hits.Load() != 0 {
		t.Errorf("answer n: exit %d, %d requests", res.code, hits.Load())
	}
	c.stdin = "y\n"
	if res := c.runCfg("run", sampleCSV, "--report", c.path("r.xlsx")); res.code != exitIncomplete || hits.Load() == 0 {
		t.Errorf("answer y: exit %d, %d requests\n%s", res.code, hits.Load(), res.stderr)
	}
	c.tty, c.stdin = false, ""
	// The sheet ran already against this endpoint: a second run needs --again.
	if res := c.runCfg("run", sampleCSV, "--report", c.path("r2.xlsx"), "--yes", "--again"); res.code != exitIncomplete {
		t.Errorf("--yes: exit %d\n%s", res.code, res.stderr)
	}
}

func TestMaxLinesGuard(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	c.config = c.writeConfig(strings.Replace(mustRead(t, c.config), "run:", "run:\n  max_lines: 5", 1))
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("r.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "more than run.max_lines (5)") || hits.Load() != 0 {
		t.Errorf("exit %d, %d requests\n%s", res.code, hits.Load(), res.stderr)
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSandboxReset(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.runCfg("run", sampleCSV, "--report", c.path("a.xlsx"))
	if got := readLines(t, c.path("a.xlsx"))["2/0"]; got != "cancelled 4→0" {
		t.Fatal(got)
	}
	c.runCfg("run", sampleCSV, "--report", c.path("b.xlsx"))
	if got := readLines(t, c.path("b.xlsx"))["2/0"]; got != "already_cancelled 0→0" {
		t.Errorf("second run on kept state: %s", got)
	}
	if res := c.runCfg("sandbox", "--reset"); res.code != exitOK {
		t.Fatalf("reset: %d %s", res.code, res.stderr)
	}
	c.runCfg("run", sampleCSV, "--report", c.path("c.xlsx"))
	if got := readLines(t, c.path("c.xlsx"))["2/0"]; got != "cancelled 4→0" {
		t.Errorf("after --reset: %s", got)
	}
}

// A plan is executed as reviewed: a quantity that changed since the plan
// holds the order as mismatch instead of cancelling more (or less) than the
// reviewer saw.
func TestReviewedPlanHoldsChangedQuantity(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan: %d %s", res.code, res.stderr)
	}
	// Someone changes the order in Partner Center after the review.
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	for _, cu := range st.Customers {
		for _, o := range cu.Orders {
			if o.ID == "Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_" {
				o.LineItems[1].Quantity = 2 // was 3 when planned
			}
		}
	}
	if err := st.Save(c.path("sandbox-state.json")); err != nil {
		t.Fatal(err)
	}
	c.runCfg("run", "--resume", c.path("plan.xlsx"), "--report", c.path("run.xlsx"))
	got := readLines(t, c.path("run.xlsx"))
	if got["3/0"] != "mismatch 25→25" || got["4/1"] != "mismatch 2→2" {
		t.Errorf("changed order: %s, %s; want both lines held as mismatch", got["3/0"], got["4/1"])
	}
	if got["2/0"] != "cancelled 4→0" {
		t.Errorf("unchanged order: %s", got["2/0"])
	}
}

func TestUnknownSheetListsTheSheets(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	res := c.runCfg("check", "samples/cancellations.xlsx", "--sheet", "December")
	if res.code != exitUsage || !strings.Contains(res.stderr, `has no sheet named "December"`) || !strings.Contains(res.stderr, `hint: use --sheet with one of: "Cancellations"`) {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("check", "samples/cancellations.xlsx", "--sheet", "cancellations"); res.code != exitIncomplete {
		t.Errorf("--sheet is case-insensitive: exit %d\n%s", res.code, res.stderr)
	}
}

// Dates typed in an extra column of an XLSX stay dates in the report.
func TestExtraColumnTypesReachTheReport(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	rep := c.path("r.xlsx")
	c.runCfg("plan", "samples/cancellations.xlsx", "--report", rep)
	f, err := excelize.OpenFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head, _ := f.GetRows("Lines")
	col := -1
	for i, h := range head[0] {
		if h == "Requested On" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("no Requested On column in %v", head[0])
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	raw, _ := f.GetCellValue("Lines", cell, excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue("Lines", cell)
	if raw != "46344" || shown != "2026-11-18" {
		t.Errorf("Requested On of row 2: stored %q shown %q, want the date serial 46344 shown 2026-11-18", raw, shown)
	}
}

func TestSandboxCommandServesWithFaults(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	go func() {
		a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: pw, getenv: func(string) string { return "" }, now: time.Now}
		done <- a.run(ctx, []string{"sandbox", "--config", c.config, "--addr", "127.0.0.1:0", "--error-503", "1", "--seed", "3"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "url="); ok {
			url, _, _ = strings.Cut(after, " ")
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("the sandbox never said where it listens")
	}
	req, _ := http.NewRequest("GET", url+"/v1/customers/4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57/orders/Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("with --error-503 1 the answer is %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("sandbox exit %d", code)
	}
}
