package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report"
)

// runFlags are the flags of plan and run.
type runFlags struct {
	config, report, sheet, delimiter, rate, logFormat, resume string
	concurrency                                               int
	yes, quiet, verbose, force, fresh                         bool
}

func (f *runFlags) register(fs *flag.FlagSet, command string) {
	fs.StringVar(&f.config, "config", "", "config `FILE` (default pcreconcile.yaml if present; none means the sandbox)")
	fs.StringVar(&f.report, "report", "", "write the workbook to `PATH` (default reconciliation-YYYYMMDD-HHMMSS.xlsx here)")
	fs.BoolVar(&f.force, "force", false, "replace an existing report")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet `NAME` (default: the first visible sheet)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter: auto, \",\", \";\", \"|\" or tab")
	fs.IntVar(&f.concurrency, "concurrency", 0, "orders in flight at once (default from config, 8)")
	fs.StringVar(&f.rate, "rate", "", "requests per `minute` across all customers, retries included (default from config, 500)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress and no informational logs; the summary still goes to stdout")
	fs.BoolVar(&f.verbose, "v", false, "verbose: log every request (never headers, tokens or secrets)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format` on stderr: text or json")
	if command == "run" {
		fs.StringVar(&f.resume, "resume", "", "continue from an earlier `REPORT` (or its .journal): process only what is not finished")
		fs.BoolVar(&f.fresh, "fresh", false, "start afresh although an unfinished journal of the same input exists")
		fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required without a terminal, against a real endpoint)")
	}
}

const planHelp = `Usage: pcreconcile plan [flags] INPUT

Reads every order the sheet names from Partner Center (GET only; nothing is
changed) and writes the reconciliation workbook as a run would, with
would_cancel for each line a run would cancel, quantities before, and every
problem a run would hit (not found, outside the window, mismatches, …).

Review the workbook, then execute exactly what it shows:
  pcreconcile run --resume reconciliation-YYYYMMDD-HHMMSS.xlsx
A line whose quantity has changed since the plan is then held as mismatch.

Exit status: 0 every line can be cancelled (or is already), 1 some cannot,
2 usage, config or input error, 3 aborted, 130 interrupted.

Flags:
`

const runHelp = `Usage: pcreconcile run [flags] INPUT
       pcreconcile run [flags] --resume REPORT

Cancels the line items the sheet names: for each order, GET it (quantity
before), then PATCH status "cancelled" for the lines still active, at most
--concurrency orders at once and --rate requests per minute, honouring
Partner Center's throttling. Every finished order is recorded at once in
REPORT.journal; at the end the workbook REPORT is written (Summary, Lines,
Orders) and the journal removed.

Without a config file the run goes to the built-in sandbox and says so.
Against a real endpoint it shows the plan and asks before it starts; without
a terminal it needs --yes.

--resume REPORT continues from an earlier report, plan or journal: lines that
are pending, failed, not_cancelled or would_cancel are done again (each order
is read first, so nothing is ever cancelled twice); all others are carried
over unchanged. A new report is written; the old one is never modified.

Ctrl-C stops starting orders, lets those in flight finish and writes the
report (exit 130); a second Ctrl-C quits at once, and the journal still holds
every finished order.

Exit status: 0 every line cancelled or already cancelled, 1 some lines did
not succeed, 2 usage, config or input error (nothing sent), 3 aborted
(authentication keeps failing, report not writable), 130 interrupted.

Examples:
  pcreconcile run samples/cancellations.csv
  pcreconcile run cancellations.xlsx --config pcreconcile.yaml --yes
  pcreconcile run --resume reconciliation-20261121-093000.xlsx

Flags:
`

func (a *app) cmdRun(ctx context.Context, args []string, command string) int {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	var f runFlags
	f.register(fs, command)
	fs.Usage = func() {
		if command == "plan" {
			fmt.Fprint(fs.Output(), planHelp)
		} else {
			fmt.Fprint(fs.Output(), runHelp)
		}
		fs.PrintDefaults()
	}
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	// Every flag combination is checked before any work.
	switch {
	case f.resume != "" && len(pos) > 0:
		return a.usageError("--resume cannot be combined with an INPUT file", "did you mean pcreconcile run --resume "+quoteArg(f.resume)+"?")
	case f.resume != "" && f.fresh:
		return a.usageError("--resume and --fresh contradict each other", "")
	case f.resume == "" && len(pos) == 0:
		return a.usageError(command+" needs an INPUT file", "pcreconcile "+command+" samples/cancellations.csv")
	case len(pos) > 1:
		return a.usageError(fmt.Sprintf("%s takes one INPUT file, got %d: %s", command, len(pos), strings.Join(pos, " ")), "")
	case f.concurrency < 0 || f.concurrency > 64:
		return a.usageError(fmt.Sprintf("--concurrency %d is out of range 1–64", f.concurrency), "")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return a.configFail(err)
	}
	if code := f.apply(cfg); code != exitOK {
		return a.usageError(fmt.Sprintf("--rate %q: want a number of requests per minute", f.rate), "")
	}
	log, err := newLogger(a.stderr, f.logFormat, f.verbose, f.quiet)
	if err != nil {
		return a.usageError(err.Error(), "")
	}
	j := &job{app: a, cfg: cfg, flags: f, command: command, log: log, started: a.now()}
	return j.run(ctx, pos)
}

// apply lets flags override the config.
func (f *runFlags) apply(cfg *config) int {
	if f.concurrency > 0 {
		cfg.Run.Concurrency = f.concurrency
	}
	if f.sheet != "" {
		cfg.Input.Sheet = f.sheet
	}
	if f.delimiter != "" {
		cfg.Input.Delimiter = f.delimiter
	}
	if f.rate != "" {
		v, err := strconv.ParseFloat(f.rate, 64)
		if err != nil || v <= 0 {
			return exitUsage
		}
		cfg.Run.RequestsPerMinute = v
	}
	return exitOK
}

// job is one plan or run.
type job struct {
	*app
	cfg     *config
	flags   runFlags
	command string
	log     *slog.Logger
	started time.Time
	runID   string

	reportPath string
	httpClient *http.Client
	journal    *batch.Journal
	plan       *batch.Plan
	input      batch.Source // the original input, for the Summary
	resumed    string       // the report or journal resumed from
}

func (j *job) dryRun() bool { return j.command == "plan" }

func (j *job) run(ctx context.Context, pos []string) int {
	j.runID = newRunID(j.started)
	j.reportPath = j.flags.report
	if j.reportPath == "" {
		j.reportPath = "reconciliation-" + j.started.Format("20060102-150405") + ".xlsx"
	}
	if !j.flags.force {
		if _, err := os.Stat(j.reportPath); err == nil {
			return j.usageError("report "+j.reportPath+" exists", "choose another --report PATH, or --force to replace it")
		}
	}
	jpath := batch.JournalPath(j.reportPath)
	if _, err := os.Stat(jpath); err == nil {
		return j.usageError("an unfinished journal "+jpath+" is in the way", "finish it with pcreconcile run --resume "+quoteArg(jpath)+", or choose another --report PATH")
	}
	if j.resumed = j.flags.resume; j.resumed != "" {
		if abs(j.resumed) == abs(j.reportPath) || abs(j.resumed) == abs(jpath) {
			return j.usageError("the new report would replace the one being resumed", "leave --report out, or give a new PATH")
		}
	}

	// The input first (exit 2 with nothing sent), then the endpoint (the
	// first token: exit 3 on wrong credentials), then the confirmation.
	ep := j.describe()
	code := j.prepare(pos, ep)
	if code == exitOK {
		if err := j.connect(ep); err != nil {
			code = j.connectFail(err)
		}
	}
	if code == exitOK {
		defer ep.close()
		code = j.confirm(ep)
	}
	if code != exitOK {
		if j.journal != nil {
			j.journal.Remove()
		}
		return code
	}
	return j.execute(ctx, ep)
}

// prepare reads the input (or the earlier report or journal), creates the
// journal, and applies run.max_lines.
func (j *job) prepare(pos []string, ep *endpoint) int {
	var code int
	if j.resumed != "" {
		code = j.prepareResume(ep)
	} else {
		code = j.prepareFresh(pos[0], ep)
	}
	if code != exitOK {
		return code
	}
	s := j.plan.Summarize()
	todo := j.todo(s)
	if max := j.cfg.Run.MaxLines; max > 0 && todo > max && !j.dryRun() {
		return j.usageError(fmt.Sprintf("the sheet asks to cancel %d lines, more than run.max_lines (%d)", todo, max), "check the sheet, then raise run.max_lines in the config if the size is right")
	}
	if j.resumed != "" {
		j.log.Info("resuming", "from", j.resumed, "carried", s.Carried, "to_do", todo, "orders", s.Orders)
	}
	return exitOK
}

// todo counts the lines the run will process.
func (j *job) todo(s batch.Summary) int {
	if j.resumed != "" {
		return j.plan.Unfinished()
	}
	return s.Lines + s.AllLineRows
}

func (j *job) newJournal(src batch.Source, ep *endpoint) (*batch.Journal, error) {
	return batch.CreateJournal(batch.JournalPath(j.reportPath), batch.JournalHeader{
		RunID:       j.runID,
		Command:     j.command,
		Source:      src,
		Input:       j.input,
		Report:      abs(j.reportPath),
		ResumedFrom: j.resumed,
		Endpoint:    ep.name,
		Sandbox:     ep.sandbox,
		Started:     j.started,
	})
}

func (j *job) prepareFresh(input string, ep *endpoint) int {
	p, code := j.readInput(input, j.cfg, true)
	if p == nil {
		return code
	}
	p.Source.Sheet = j.cfg.Input.Sheet
	j.plan, j.input = p, p.Source
	if !j.flags.fresh {
		if other := unfinishedJournal(filepath.Dir(j.reportPath), p.Source.SHA256, j.command); other != "" {
			return j.usageError(fmt.Sprintf("%s has an unfinished %s of this input (%s)", other, j.command, input), "continue it with: pcreconcile run --resume "+quoteArg(other)+"   (or start afresh with --fresh)")
		}
	}
	src := p.Source
	src.Path = abs(input)
	_, code = j.startJournal(src, ep)
	return code
}

// unfinishedJournal finds a journal in dir left by a run of the same
// command on the same input.
func unfinishedJournal(dir, sha, command string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
	for _, m := range matches {
		h, err := batch.ReadJournalHeader(m)
		if err == nil && !h.Source.Report && h.Source.SHA256 == sha && h.Command == command {
			return m
		}
	}
	return ""
}

func (j *job) prepareResume(ep *endpoint) int {
	from := j.resumed
	jpath := ""
	switch {
	case strings.HasSuffix(from, ".journal"):
		jpath = from
	default:
		if _, err := os.Stat(from); err != nil {
			if _, jerr := os.Stat(batch.JournalPath(from)); jerr == nil {
				jpath = batch.JournalPath(from) // the run died before writing its report
			} else {
				return j.usageError("cannot resume: "+err.Error(), "pass the report a run or plan wrote, or its .journal")
			}
		} else if _, jerr := os.Stat(batch.JournalPath(from)); jerr == nil {
			j.log.Warn("the report has an unfinished journal beside it; resuming from the report", "journal", batch.JournalPath(from))
		}
	}
	if jpath != "" {
		return j.resumeJournal(jpath, ep)
	}
	return j.resumeReport(from, ep)
}

// carrier batches carried records into the journal.
type carrier struct {
	j   *batch.Journal
	buf []*batch.OrderResult
}

func (c *carrier) add(r *batch.OrderResult) error {
	c.buf = append(c.buf, r)
	if len(c.buf) >= 512 {
		return c.flush()
	}
	return nil
}

func (c *carrier) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := c.j.AppendCarried(c.buf)
	c.buf = c.buf[:0]
	return err
}

func (j *job) resumeReport(path string, ep *endpoint) int {
	prior, err := report.Open(path)
	if err != nil {
		return j.inputFail(err)
	}
	defer prior.Close()
	sum, err := batch.FileSHA256(path)
	if err != nil {
		return j.inputFail(err)
	}
	j.input = batch.Source{
		Name:   prior.Meta[report.LabelInput],
		Path:   prior.Meta[report.LabelInputPath],
		SHA256: prior.Meta[report.LabelInputSHA],
	}
	src := batch.Source{Path: abs(path), Name: path, SHA256: sum, Format: "xlsx", Report: true}
	c, code := j.startJournal(src, ep)
	if code != exitOK {
		return code
	}
	if j.plan, code = j.planFromReport(prior, src, c); code != exitOK {
		return code
	}
	return j.flushCarried(c)
}

// startJournal creates this run's journal, and the carrier that batches
// the records an earlier run finished into it.
func (j *job) startJournal(src batch.Source, ep *endpoint) (*carrier, int) {
	jr, err := j.newJournal(src, ep)
	if err != nil {
		return nil, j.reportFail("cannot create the journal", err)
	}
	j.journal = jr
	return &carrier{j: jr}, exitOK
}

// planFromReport rebuilds a plan from an earlier report; the orders it
// finished go to c.
func (j *job) planFromReport(prior *report.Prior, src batch.Source, c *carrier) (*batch.Plan, int) {
	b := batch.NewReportPlan(src, prior.Extra, prior.Orders, j.headers(), c.add)
	if err := prior.Lines(b.Add); err != nil {
		return nil, j.inputFail(err)
	}
	p, err := b.Plan()
	if err != nil {
		return nil, j.inputFail(err)
	}
	return p, exitOK
}

// flushCarried writes the last carried records.
func (j *job) flushCarried(c *carrier) int {
	if err := c.flush(); err != nil {
		return j.reportFail("cannot write the journal", err)
	}
	return exitOK
}

func (j *job) resumeJournal(path string, ep *endpoint) int {
	old, h, err := batch.OpenJournal(path)
	if err != nil {
		return j.inputFail(err)
	}
	defer old.Close()
	j.input = h.Source
	if h.Input.SHA256 != "" {
		j.input = h.Input
	}
	var plan *batch.Plan
	var c *carrier
	var code int
	if h.Source.Report {
		// The interrupted run was itself a resume: rebuild from its report.
		prior, err := report.Open(h.Source.Path)
		if err != nil {
			return j.inputFail(err)
		}
		defer prior.Close()
		if code := j.sameFile(h.Source); code != exitOK {
			return code
		}
		if c, code = j.startJournal(h.Source, ep); code != exitOK {
			return code
		}
		if plan, code = j.planFromReport(prior, h.Source, c); code != exitOK {
			return code
		}
	} else {
		if code := j.sameFile(h.Source); code != exitOK {
			return code
		}
		cfg := *j.cfg
		cfg.Input.Sheet = h.Source.Sheet
		if plan, code = j.readInput(h.Source.Path, &cfg, true); plan == nil {
			return code
		}
		plan.Source = h.Source
		if c, code = j.startJournal(h.Source, ep); code != exitOK {
			return code
		}
	}
	if err := plan.Overlay(old, c.add); err != nil {
		return j.inputFail(err)
	}
	j.plan = plan
	return j.flushCarried(c)
}

// sameFile checks that the file a journal was made from is unchanged.
func (j *job) sameFile(src batch.Source) int {
	sum, err := batch.FileSHA256(src.Path)
	if err != nil {
		return j.usageError(fmt.Sprintf("cannot read %s, which the journal was made from: %v", src.Path, err), "put the file back where it was to resume")
	}
	if sum != src.SHA256 {
		return j.usageError(fmt.Sprintf("%s has changed since the interrupted run (SHA-256 %s, was %s)", src.Path, shortSHA(sum), shortSHA(src.SHA256)), "restore the original file to resume, or start a fresh run with the changed file (--fresh)")
	}
	return exitOK
}

// confirm shows the plan and asks, when a run goes to a real endpoint.
func (j *job) confirm(ep *endpoint) int {
	if ep.sandbox || j.dryRun() {
		return exitOK
	}
	s := j.plan.Summarize()
	todo := j.todo(s)
	fmt.Fprintf(j.stderr, "\nAbout to cancel on %s", ep.name)
	if ep.tenant != "" {
		fmt.Fprintf(j.stderr, " (partner tenant %s)", ep.tenant)
	}
	fmt.Fprintf(j.stderr, ":\n  %s\n", describePlan(s))
	if s.Carried > 0 {
		fmt.Fprintf(j.stderr, "  %d lines are finished already and will not be touched; %d to do\n", s.Carried, todo)
	}
	if s.Invalid+s.Duplicate > 0 {
		fmt.Fprintf(j.stderr, "  %d invalid and %d duplicate rows will not be sent (see pcreconcile check)\n", s.Invalid, s.Duplicate)
	}
	if j.flags.yes {
		return exitOK
	}
	if !j.stdinTTY {
		return j.usageError("confirmation needed, and there is no terminal to ask", "add --yes to run without asking (e.g. in a scheduled job)")
	}
	fmt.Fprint(j.stderr, "Continue? [y/N] ")
	answer, _ := bufio.NewReader(j.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return exitOK
	}
	fmt.Fprintln(j.stderr, "pcreconcile: nothing was sent")
	return exitUsage
}

// execute runs the plan and writes the report.
func (j *job) execute(ctx context.Context, ep *endpoint) int {
	if ep.sandbox {
		j.log.Warn("running against the built-in SANDBOX: no real orders will be changed", "state", ep.state)
	}
	progress := newProgress(j.stderr, j.stderrTTY && !j.flags.quiet, j.log, j.command, j.now)
	r := &batch.Runner{
		Client:      ep.client,
		Concurrency: j.cfg.Run.Concurrency,
		DryRun:      j.dryRun(),
		RunID:       j.runID,
		Journal:     j.journal,
		Now:         j.now,
		Log:         j.log,
		Progress:    progress,
	}
	runErr := r.Run(ctx, j.plan)
	finished := j.now()

	result := "complete"
	code := exitOK
	switch {
	case errors.Is(runErr, batch.ErrAuthAborted):
		result = "aborted: authentication kept failing; the orders not started are pending"
		code = exitAborted
	case runErr != nil:
		result = "aborted: " + runErr.Error()
		code = exitAborted
	case ctx.Err() != nil:
		result = "interrupted: the orders not started are pending"
		code = exitInterrupted
	}
	counts, err := report.Write(report.Options{
		Path:  j.reportPath,
		Force: j.flags.force,
		Meta: report.Meta{
			Version:     mustVersion(),
			Command:     j.command,
			Endpoint:    ep.name,
			Tenant:      ep.tenant,
			Identity:    ep.identity,
			Input:       j.input,
			ResumedFrom: j.resumed,
			RunID:       j.runID,
			Started:     j.started,
			Finished:    finished,
			Concurrency: j.cfg.Run.Concurrency,
			Rate:        j.rateText(),
			Result:      result,
		},
		Plan:    j.plan,
		Records: j.journal,
	})
	if err != nil {
		j.journal.Close()
		j.errorf("cannot write the report %s: %v", j.reportPath, err)
		j.hint("every finished order is in %s; write the report with: pcreconcile run --resume %s", j.journal.Path(), quoteArg(j.journal.Path()))
		return exitAborted
	}
	if err := j.journal.Remove(); err != nil {
		j.log.Warn("cannot remove the journal", "path", j.journal.Path(), "err", err)
	}
	if runErr != nil && code == exitAborted {
		j.errorf("%v", runErr)
		if errors.Is(runErr, batch.ErrAuthAborted) {
			j.hint("check the credentials (auth in the config and the environment variables), then continue with pcreconcile run --resume %s", quoteArg(j.reportPath))
		}
	}
	j.printSummary(ep, counts, result)
	if code != exitOK {
		return code
	}
	for status, n := range counts.Lines {
		if n > 0 && !status.Success(j.dryRun()) {
			return exitIncomplete
		}
	}
	return exitOK
}

// headers is the header matcher of the config (validated at load).
func (j *job) headers() *batch.Headers {
	h, _ := batch.NewHeaders(j.cfg.Input.Columns)
	return h
}

func (j *job) rateText() string {
	s := fmt.Sprintf("%g requests/minute", j.cfg.Run.RequestsPerMinute)
	if c := j.cfg.Run.CustomerRequestsPerMinute; c > 0 {
		s += fmt.Sprintf(", %g per customer", c)
	}
	return s
}

func (j *job) inputFail(err error) int {
	if j.journal != nil {
		j.journal.Remove()
		j.journal = nil
	}
	return j.inputError(err)
}

// hintOf returns the hint an input error carries.
func hintOf(err error) string {
	var se *sheet.Error
	var ie *batch.InputError
	switch {
	case errors.As(err, &se):
		return se.Hint
	case errors.As(err, &ie):
		return ie.Hint
	}
	return ""
}

func (j *job) reportFail(what string, err error) int {
	j.errorf("%s: %v", what, err)
	j.hint("the report's directory must be writable; choose another --report PATH")
	return exitAborted
}

func newRunID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return "run-" + t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func mustVersion() string {
	v, _ := versionInfo()
	return v
}
