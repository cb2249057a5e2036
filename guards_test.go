package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/report"
)

// outputs lists the reports and journals in the CLI's folder.
func (c *cli) outputs() []string {
	var out []string
	for _, pattern := range []string{"*.xlsx", "*.journal"} {
		m, _ := filepath.Glob(filepath.Join(c.dir, pattern))
		for _, f := range m {
			out = append(out, filepath.Base(f))
		}
	}
	sort.Strings(out)
	return out
}

// refused runs args and asserts what every guard does: exit 2, the reason
// on stderr, nothing sent, nothing written.
func (c *cli) refused(hits interface{ Load() int64 }, want string, args ...string) result {
	c.t.Helper()
	before, sent := c.outputs(), hits.Load()
	res := c.runCfg(args...)
	if res.code != exitUsage || !strings.Contains(res.stderr, want) {
		c.t.Errorf("%v: exit %d, want 2 and %q\n%s", args, res.code, want, res.stderr)
	}
	if n := hits.Load() - sent; n != 0 {
		c.t.Errorf("%v: %d requests sent by a refused command", args, n)
	}
	if after := c.outputs(); !slices.Equal(before, after) {
		c.t.Errorf("%v: files written by a refused command: %v, was %v", args, after, before)
	}
	return res
}

// failingReport makes writing the workbook fail, as a full disk would.
func failingReport(report.Options) (*report.Counts, error) {
	return nil, errors.New("no space left on device")
}

func TestReportPathGuards(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	c.refused(hits, "must end in .xlsx", "run", sampleCSV, "--yes", "--report", c.path("r.csv"))
	c.refused(hits, "does not exist", "run", sampleCSV, "--yes", "--report", c.path("no/such/folder/r.xlsx"))
	os.Mkdir(c.path("dir.xlsx"), 0o755)
	c.refused(hits, "is a folder", "run", sampleCSV, "--yes", "--force", "--report", c.path("dir.xlsx"))
	os.WriteFile(c.path("target.xlsx"), []byte("x"), 0o644)
	os.Symlink(c.path("target.xlsx"), c.path("link.xlsx"))
	c.refused(hits, "symbolic link", "run", sampleCSV, "--yes", "--force", "--report", c.path("link.xlsx"))
	os.Remove(c.path("target.xlsx")) // a dangling link
	c.refused(hits, "symbolic link", "run", sampleCSV, "--yes", "--report", c.path("link.xlsx"))
	os.Remove(c.path("link.xlsx"))
	os.Remove(c.path("dir.xlsx"))

	// --force replaces an earlier report, never the input...
	in := c.path("storno.xlsx")
	sample, _ := os.ReadFile("samples/cancellations.xlsx")
	os.WriteFile(in, sample, 0o644)
	c.refused(hits, "which this command reads", "run", in, "--yes", "--force", "--report", in)
	if b, _ := os.ReadFile(in); !slices.Equal(b, sample) {
		t.Error("the input sheet was changed")
	}
	// ...nor the report being resumed.
	if res := c.runCfg("run", in, "--yes", "--report", c.path("a.xlsx")); res.code != exitIncomplete {
		t.Fatalf("run: %d %s", res.code, res.stderr)
	}
	c.refused(hits, "which this command reads", "run", "--resume", c.path("a.xlsx"), "--yes", "--force", "--report", c.path("a.xlsx"))
}

// A report made against one endpoint is never resumed against another,
// and every "continue with" command names the config it needs.
func TestResumeRefusesAnotherEndpoint(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	sandboxConfig := c.config
	_, hits := realEndpoint(t, c)
	real := c.config
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("a.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("run: %d %s", res.code, res.stderr)
	}
	c.config = sandboxConfig
	res = c.refused(hits, "was made against http://127.0.0.1", "run", "--resume", c.path("a.xlsx"), "--report", c.path("b.xlsx"))
	if !strings.Contains(res.stderr, "this configuration points at SANDBOX") || !strings.Contains(res.stderr, "--config "+real) {
		t.Errorf("the refusal does not name both endpoints and the config to pass:\n%s", res.stderr)
	}
	// The run's own hints carry its config.
	c.config = real
	c.writeReport = failingReport
	res = c.runCfg("run", sampleCSV, "--yes", "--again", "--report", c.path("c.xlsx"))
	c.writeReport = nil
	if res.code != exitAborted || !strings.Contains(res.stderr, "pcreconcile run --resume "+c.path("c.xlsx.journal")+" --report "+c.path("c.xlsx")+" --config "+real) {
		t.Errorf("a failed report's hint: exit %d\n%s", res.code, res.stderr)
	}
	c.config = sandboxConfig
	c.refused(hits, "was made against http://127.0.0.1", "run", "--resume", c.path("c.xlsx.journal"), "--report", c.path("d.xlsx"))
}

// A plan sends nothing, and nothing a plan left behind is ever executed
// by following a hint: its journal is finished by plan --resume alone.
func TestPlanJournalsStayPlans(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	sb, hits := realEndpoint(t, c)
	c.writeReport = failingReport
	res := c.runCfg("plan", sampleCSV, "--report", c.path("p.xlsx"))
	c.writeReport = nil
	if res.code != exitAborted || !strings.Contains(res.stderr, "write the report with: pcreconcile plan --resume "+c.path("p.xlsx.journal")) || strings.Contains(res.stderr, "pcreconcile run") {
		t.Fatalf("a plan whose report failed: exit %d, want 3 and a plan --resume hint\n%s", res.code, res.stderr)
	}
	c.refused(hits, "is the journal of a plan", "run", "--resume", c.path("p.xlsx.journal"), "--yes", "--report", c.path("x.xlsx"))
	c.refused(hits, "is the journal of a plan", "run", "--resume", c.path("p.xlsx"), "--yes", "--report", c.path("x.xlsx"))
	res = c.refused(hits, "an unfinished plan of this input", "plan", sampleCSV, "--report", c.path("p2.xlsx"))
	if !strings.Contains(res.stderr, "continue it with: pcreconcile plan --resume") {
		t.Errorf("the hint names another command:\n%s", res.stderr)
	}
	if res := c.runCfg("plan", "--resume", c.path("p.xlsx.journal"), "--report", c.path("p1.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan --resume: exit %d\n%s", res.code, res.stderr)
	}
	if st := sb.Stats(); st.Patches != 0 {
		t.Errorf("%d PATCHes sent by plans", st.Patches)
	}
	if _, err := os.Stat(c.path("p.xlsx.journal")); !os.IsNotExist(err) {
		t.Error("the plan's journal is left after plan --resume finished it")
	}
	c.refused(hits, "finishes a plan's unfinished journal, and this is a report", "plan", "--resume", c.path("p1.xlsx"), "--report", c.path("p3.xlsx"))
	c.refused(hits, "which this command reads", "run", "--resume", c.path("p1.xlsx"), "--yes", "--force", "--report", c.path("p1.xlsx"))
	if res := c.runCfg("plan", sampleCSV, "--fresh", "--report", c.path("p4.xlsx")); res.code != exitIncomplete {
		t.Errorf("plan --fresh: exit %d\n%s", res.code, res.stderr)
	}
}

// The same sheet run twice against the same endpoint is refused, naming
// the earlier report and how to continue it; --again overrides; the
// history beside the report records every run; a resume that finishes
// removes the journals it finished.
func TestHistoryGuardsAgainstRunningTwice(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	c.writeReport = failingReport
	c.runCfg("run", sampleCSV, "--yes", "--report", c.path("a.xlsx"))
	c.writeReport = nil
	res := c.runCfg("run", "--resume", c.path("a.xlsx"), "--yes", "--report", c.path("b.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(c.path("a.xlsx.journal")); !os.IsNotExist(err) {
		t.Error("the journal the resume finished is still there")
	}
	res = c.refused(hits, "already ran against http://127.0.0.1", "run", sampleCSV, "--yes", "--report", c.path("c.xlsx"))
	if !strings.Contains(res.stderr, "report "+c.path("b.xlsx")) || !strings.Contains(res.stderr, "the chain's newest report is "+c.path("b.xlsx")) || !strings.Contains(res.stderr, "nothing is left to do in it") || !strings.Contains(res.stderr, "--again") {
		t.Errorf("the refusal does not name the earlier report and how to go on:\n%s", res.stderr)
	}
	if res := c.runCfg("run", sampleCSV, "--yes", "--again", "--report", c.path("c.xlsx")); res.code != exitIncomplete {
		t.Errorf("--again: exit %d\n%s", res.code, res.stderr)
	}
	led, err := ledger.Read(ledger.DefaultPath(c.dir))
	if err != nil {
		t.Fatal(err)
	}
	var ends []string
	for _, e := range led.Runs() {
		ends = append(ends, fmt.Sprintf("%s %s %s", filepath.Base(e.Report), e.Result, e.AmountCancelled))
	}
	// a's report could not be written: it started, and the resume b
	// finished its work; c ran the sheet again (--again).
	// b's row counts what a cancelled: a never recorded its end, and every
	// cancellation is in exactly one row. c found everything cancelled.
	if len(ends) != 3 || ends[0] != "a.xlsx started " || !strings.HasPrefix(ends[1], "b.xlsx ") || !strings.HasSuffix(ends[1], " EUR 25,147.80; USD 51,947.10") || !strings.HasPrefix(ends[2], "c.xlsx ") || !strings.HasSuffix(ends[2], " ") {
		t.Errorf("ledger:\n%s", strings.Join(ends, "\n"))
	}
	// check, run where the history is, knows the sheet ran.
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "check", mustAbs(t, sampleCSV), "--config", c.config)
	cmd.Dir, cmd.Env = c.dir, append(os.Environ(), "PCRECONCILE_BE_MAIN=1")
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "sha256: e73f51f28344") || !strings.Contains(string(out), "already run on") || !strings.Contains(string(out), "c.xlsx") {
		t.Errorf("check:\n%s", out)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The rough edges a new user met.
func TestCommandLineEdges(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.run("sandbox", "--help"); strings.Contains(res.stdout, "(default -1") || !strings.Contains(res.stdout, "--latency DURATION") {
		t.Errorf("sandbox --help:\n%s", res.stdout)
	}
	if res := c.run("run", "--help"); !strings.Contains(res.stdout, "--rate N") || !strings.Contains(res.stdout, "--log-format text|json") || !strings.Contains(res.stdout, "--concurrency N") {
		t.Errorf("run --help:\n%s", res.stdout)
	}
	if res := c.run("version", "--help"); res.code != exitOK || !strings.Contains(res.stdout, "Usage: pcreconcile version") || strings.Contains(res.stdout, "go1.") {
		t.Errorf("version --help: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := c.run("--config", c.config, "check", sampleCSV); res.code != exitIncomplete || !strings.Contains(res.stdout, "asks for") {
		t.Errorf("a flag before the command: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.run("--quiet"); res.code != exitUsage || !strings.Contains(res.stderr, "flags go with a command") {
		t.Errorf("a flag and no command: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("run", sampleCSV, "--concurrency", "0"); res.code != exitUsage || !strings.Contains(res.stderr, "out of range 1–64") {
		t.Errorf("--concurrency 0: exit %d\n%s", res.code, res.stderr)
	}
	if res := c.runCfg("run", sampleCSV, "--rate", "0"); res.code != exitUsage || !strings.Contains(res.stderr, "must be at least 1 request per minute") {
		t.Errorf("--rate 0: exit %d\n%s", res.code, res.stderr)
	}
}

// sandbox --reset while a pcreconcile sandbox serves the same state would
// be undone by the server's next write: it is refused, saying so.
func TestSandboxResetWhileServing(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	go func() {
		a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: pw, getenv: func(string) string { return "" }, now: time.Now}
		done <- a.run(ctx, []string{"sandbox", "--config", c.config, "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() && !strings.Contains(sc.Text(), "listening") {
	}
	go io.Copy(io.Discard, pr)
	if res := c.runCfg("sandbox", "--reset"); res.code != exitUsage || !strings.Contains(res.stderr, "a sandbox is serving this state at http://127.0.0.1:") {
		t.Errorf("reset under a server: exit %d\n%s", res.code, res.stderr)
	}
	cancel()
	<-done
	if res := c.runCfg("sandbox", "--reset"); res.code != exitOK {
		t.Errorf("reset after the server stopped: exit %d\n%s", res.code, res.stderr)
	}
}

// A journal edited after the run wrote it is refused before anything is
// sent: a "failed" turned into "cancelled" must not become the books.
func TestEditedJournalIsNotResumed(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	_, hits := realEndpoint(t, c)
	c.writeReport = failingReport
	if res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("r.xlsx")); res.code != exitAborted {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	c.writeReport = nil
	path := c.path("r.xlsx.journal")
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	n := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, ",rejected,") })
	if n < 0 {
		t.Fatal("no rejected line in the journal")
	}
	lines[n] = strings.Replace(lines[n], ",rejected,", ",cancelled,", 1)
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
	res := c.refused(hits, fmt.Sprintf("has been edited: line %d", n+1), "run", "--resume", path, "--yes", "--report", c.path("final.xlsx"))
	if !strings.Contains(res.stderr, "resume from the report") {
		t.Errorf("no way forward:\n%s", res.stderr)
	}
}

// A report records the input rows it accounts for; a resume from a report
// whose Lines sheet lost a row (or gained one) is refused, naming it.
func TestReportWithRowsDeletedIsNotResumed(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.runCfg("plan", sampleCSV, "--report", c.path("plan.xlsx")); res.code != exitIncomplete {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	prior, err := report.Open(c.path("plan.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if acc := prior.Accounted(); acc.Rows != "2-17" || acc.RowCount != 16 || acc.Lines != 18 {
		t.Errorf("the plan records %+v, want rows 2-17 (16) and 18 lines", acc)
	}
	prior.Close()
	edit := func(name string, change func(f *excelize.File)) string {
		f, err := excelize.OpenFile(c.path("plan.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		change(f)
		out := c.path(name)
		if err := f.SaveAs(out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Input row 11 is the Lines sheet's 13th row (row 5 has three lines).
	deleted := edit("deleted.xlsx", func(f *excelize.File) { f.RemoveRow("Lines", 13) })
	res := c.runCfg("run", "--resume", deleted, "--yes", "--report", c.path("r1.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "was changed after pcreconcile wrote it: Lines: a sealed row is missing: Source Row 11") {
		t.Errorf("a deleted row: exit %d\n%s", res.code, res.stderr)
	}
	// One of row 5's three lines: the row is still there, a line is not.
	line := edit("line.xlsx", func(f *excelize.File) { f.RemoveRow("Lines", 6) })
	res = c.runCfg("run", "--resume", line, "--yes", "--report", c.path("r3.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "a sealed row is missing: Source Row 5, Customer Tenant ID b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76, Order ID Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-, Line Item Number 1") {
		t.Errorf("a deleted line: exit %d\n%s", res.code, res.stderr)
	}
	added := edit("added.xlsx", func(f *excelize.File) {
		f.DuplicateRow("Lines", 2)
		f.SetCellValue("Lines", "A3", 99)
	})
	res = c.runCfg("run", "--resume", added, "--yes", "--report", c.path("r2.xlsx"))
	if res.code != exitUsage || !strings.Contains(res.stderr, "Lines row 3: this row is not one the report was sealed with") {
		t.Errorf("an added row: exit %d\n%s", res.code, res.stderr)
	}
}

// A build names its commit where Go recorded it, and says "development
// build" where it could not.
func TestVersionNamesTheBuild(t *testing.T) {
	rev := "4a19bd5749c23929c2c907868b04402e109e53b5"
	for _, tt := range []struct {
		linked    string
		info      *debug.BuildInfo
		v, commit string
	}{
		{"v1.4.0", nil, "v1.4.0", "not recorded"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "development build", "not recorded"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}}},
			"development build 4a19bd5749c2", rev},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201211548-4a19bd5749c2+dirty"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			"v0.0.0-20261201211548-4a19bd5749c2+dirty", rev + " (modified)"},
	} {
		v, commit := describeBuild(tt.linked, tt.info)
		if v != tt.v || !strings.HasPrefix(commit, tt.commit) {
			t.Errorf("describeBuild(%q, %+v) = %q, %q; want %q, %q…", tt.linked, tt.info, v, commit, tt.v, tt.commit)
		}
	}
}

func TestUnknownCommandSuggestsOne(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if res := c.run("rn", sampleCSV); res.code != exitUsage || !strings.Contains(res.stderr, `unknown command "rn" — did you mean "run"?`) {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}
