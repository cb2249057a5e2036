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
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/batch/progress"
	"github.com/pcreconcile/pcreconcile/report"
)

// runFlags are the flags of plan and run.
type runFlags struct {
	config, report, sheet, delimiter, rate, logFormat, resume string
	concurrency                                               int
	yes, quiet, verbose, force, fresh, retryRejected          bool
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
		fs.BoolVar(&f.retryRejected, "retry-rejected", false, "with --resume: also send again the lines Partner Center rejected (e.g. after a reseller relationship was restored)")
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

func (a *app) cmdRun(ctx context.Context, args []string, command string) error {
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
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	// Every flag combination is checked before any work.
	switch {
	case f.resume != "" && len(pos) > 0:
		return usage("--resume cannot be combined with an INPUT file", "did you mean pcreconcile run --resume "+quoteArg(f.resume)+"?")
	case f.resume != "" && f.fresh:
		return usage("--resume and --fresh contradict each other", "")
	case f.retryRejected && f.resume == "":
		return usage("--retry-rejected goes with --resume", "pcreconcile run --resume REPORT --retry-rejected")
	case f.resume == "" && len(pos) == 0:
		return usage(command+" needs an INPUT file", "pcreconcile "+command+" samples/cancellations.csv")
	case len(pos) > 1:
		return usage(fmt.Sprintf("%s takes one INPUT file, got %d: %s", command, len(pos), strings.Join(pos, " ")), "")
	case f.concurrency < 0 || f.concurrency > 64:
		return usage(fmt.Sprintf("--concurrency %d is out of range 1–64", f.concurrency), "")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	if err := f.apply(cfg); err != nil {
		return err
	}
	log, err := newLogger(a.stderr, f.logFormat, f.verbose, f.quiet)
	if err != nil {
		return usage(err.Error(), "")
	}
	started := a.now()
	j := &job{app: a, cfg: cfg, flags: f, command: command, log: log, started: started, runID: newRunID(started)}
	j.report = f.report
	if j.report == "" {
		j.report = "reconciliation-" + started.Format("20060102-150405") + ".xlsx"
	}
	return j.run(ctx, pos)
}

// apply lets flags override the config.
func (f *runFlags) apply(cfg *config) error {
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
			return usage(fmt.Sprintf("--rate %q: want a number of requests per minute", f.rate), "")
		}
		cfg.Run.RequestsPerMinute = v
	}
	return nil
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
	report  string // the workbook to write

	work    *batch.Resumed // the plan, its journal and the original input
	resumed string         // the report or journal resumed from
}

func (j *job) dryRun() bool { return j.command == "plan" }

// run checks where the report goes, prepares the work (nothing sent yet:
// exit 2 on any problem), connects (exit 3 on wrong credentials), asks for
// confirmation, and executes.
func (j *job) run(ctx context.Context, pos []string) error {
	if err := j.checkReportPath(); err != nil {
		return err
	}
	ep := j.describe()
	err := j.prepare(pos, ep)
	if err == nil {
		err = j.connect(ep)
	}
	if err == nil {
		defer ep.close()
		err = j.confirm(ep)
	}
	if err != nil {
		if j.work != nil {
			j.work.Journal.Remove()
		}
		var je *batch.JournalError
		if errors.As(err, &je) {
			return &exitError{code: exitAborted, err: je, hint: "the report's directory must be writable; choose another --report PATH"}
		}
		return err
	}
	return j.execute(ctx, ep)
}

// checkReportPath refuses to overwrite a report or to start over a journal
// in its way.
func (j *job) checkReportPath() error {
	if !j.flags.force {
		if _, err := os.Stat(j.report); err == nil {
			return usage("report "+j.report+" exists", "choose another --report PATH, or --force to replace it")
		}
	}
	jpath := batch.JournalPath(j.report)
	if _, err := os.Stat(jpath); err == nil {
		return usage("an unfinished journal "+jpath+" is in the way", "finish it with pcreconcile run --resume "+quoteArg(jpath)+", or choose another --report PATH")
	}
	if j.resumed = j.flags.resume; j.resumed != "" {
		if abs(j.resumed) == abs(j.report) || abs(j.resumed) == abs(jpath) {
			return usage("the new report would replace the one being resumed", "leave --report out, or give a new PATH")
		}
	}
	return nil
}

// prepare reads the input (or the earlier report or journal), creates the
// journal, and applies run.max_lines.
func (j *job) prepare(pos []string, ep *endpoint) error {
	header := batch.JournalHeader{
		RunID:       j.runID,
		Command:     j.command,
		Report:      abs(j.report),
		ResumedFrom: j.resumed,
		Endpoint:    ep.name,
		Sandbox:     ep.sandbox,
		Started:     j.started,
	}
	read, err := j.readOptions(j.cfg, true)
	if err != nil {
		return err
	}
	if j.resumed != "" {
		j.work, err = batch.Resume(batch.ResumeOptions{
			From:          j.resumed,
			RetryRejected: j.flags.retryRejected,
			OpenReport:    openReport,
			Read:          read,
			JournalPath:   batch.JournalPath(j.report),
			Journal:       header,
			Log:           j.log,
		})
	} else {
		j.work, err = j.prepareFresh(pos[0], read, header)
	}
	if err != nil {
		return err
	}
	s := j.work.Plan.Summarize()
	todo := j.todo(s)
	if max := j.cfg.Run.MaxLines; max > 0 && todo > max && !j.dryRun() {
		return usage(fmt.Sprintf("the sheet asks to cancel %d lines, more than run.max_lines (%d)", todo, max), "check the sheet, then raise run.max_lines in the config if the size is right")
	}
	if j.resumed != "" {
		j.log.Info("resuming", "from", j.resumed, "carried", s.Carried, "to_do", todo, "orders", s.Orders)
	}
	return nil
}

// openReport is report.Open as batch.Resume wants it.
func openReport(path string) (batch.PriorReport, error) { return report.Open(path) }

// todo counts the lines the run will process.
func (j *job) todo(s batch.Summary) int {
	if j.resumed != "" {
		return j.work.Plan.Unfinished()
	}
	return s.Lines + s.AllLineRows
}

func (j *job) prepareFresh(input string, read batch.ReadOptions, header batch.JournalHeader) (*batch.Resumed, error) {
	p, err := batch.ReadFile(input, read)
	if err != nil {
		return nil, err
	}
	p.Source.Sheet = j.cfg.Input.Sheet
	if !j.flags.fresh {
		if other := batch.UnfinishedJournal(filepath.Dir(j.report), p.Source.SHA256, j.command); other != "" {
			return nil, usage(fmt.Sprintf("%s has an unfinished %s of this input (%s)", other, j.command, input), "continue it with: pcreconcile run --resume "+quoteArg(other)+"   (or start afresh with --fresh)")
		}
	}
	header.Source = p.Source
	header.Source.Path = abs(input)
	jr, err := batch.CreateJournal(batch.JournalPath(j.report), header)
	if err != nil {
		return nil, &batch.JournalError{Op: "create", Err: err}
	}
	return &batch.Resumed{Plan: p, Journal: jr, Input: p.Source}, nil
}

// confirm shows the plan and asks, when a run goes to a real endpoint.
func (j *job) confirm(ep *endpoint) error {
	if ep.sandbox || j.dryRun() {
		return nil
	}
	s := j.work.Plan.Summarize()
	todo := j.todo(s)
	fmt.Fprintf(j.stderr, "\nAbout to cancel on %s", ep.name)
	if ep.tenant != "" {
		fmt.Fprintf(j.stderr, " (partner tenant %s)", ep.tenant)
	}
	fmt.Fprintf(j.stderr, ":\n  %s\n", s)
	if s.Carried > 0 {
		fmt.Fprintf(j.stderr, "  %d lines are finished already and will not be touched; %d to do\n", s.Carried, todo)
	}
	if s.Invalid+s.Duplicate > 0 {
		fmt.Fprintf(j.stderr, "  %d invalid and %d duplicate rows will not be sent (see pcreconcile check)\n", s.Invalid, s.Duplicate)
	}
	if j.flags.yes {
		return nil
	}
	if !j.stdinTTY {
		return usage("confirmation needed, and there is no terminal to ask", "add --yes to run without asking (e.g. in a scheduled job)")
	}
	fmt.Fprint(j.stderr, "Continue? [y/N] ")
	answer, _ := bufio.NewReader(j.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	fmt.Fprintln(j.stderr, "pcreconcile: nothing was sent")
	return exitWith(exitUsage)
}

// execute runs the plan and writes the report.
func (j *job) execute(ctx context.Context, ep *endpoint) error {
	if ep.sandbox {
		j.log.Warn("running against the built-in SANDBOX: no real orders will be changed", "state", ep.state)
	}
	progress := progress.New(j.stderr, j.stderrTTY && !j.flags.quiet, j.log, j.command, j.now)
	journal := j.work.Journal
	r := &batch.Runner{
		Client:      ep.client,
		Concurrency: j.cfg.Run.Concurrency,
		DryRun:      j.dryRun(),
		RunID:       j.runID,
		Journal:     journal,
		Now:         j.now,
		Log:         j.log,
		Progress:    progress,
	}
	runErr := r.Run(ctx, j.work.Plan)
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
	if os.Getenv("GOGC") == "" {
		// The whole plan stays live while a million lines stream past it into
		// the report; a 50 % GC target holds the peak at 1.5 times the live
		// heap instead of twice it — 300 MB instead of 400 MB for a million
		// lines, for about 4 % more time (README, Performance).
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	meta := report.Meta{
		Version:     mustVersion(),
		Command:     j.command,
		CommandLine: j.commandLine(),
		Endpoint:    ep.name,
		Tenant:      ep.tenant,
		RunBy:       runBy(),
		Identity:    ep.identity,
		Input:       j.work.Input,
		ResumedFrom: j.resumed,
		RunID:       j.runID,
		Started:     j.started,
		Finished:    finished,
		Concurrency: j.cfg.Run.Concurrency,
		Rate:        j.rateText(),
		Result:      result,
	}
	counts, err := report.Write(report.Options{
		Path:    j.report,
		Force:   j.flags.force,
		Meta:    meta,
		Plan:    j.work.Plan,
		Records: journal,
	})
	if err != nil {
		journal.Close()
		return &exitError{code: exitAborted, err: fmt.Errorf("cannot write the report %s: %w", j.report, err),
			hint: fmt.Sprintf("every finished order is in %s; write the report with: pcreconcile run --resume %s", journal.Path(), quoteArg(journal.Path()))}
	}
	if err := journal.Remove(); err != nil {
		j.log.Warn("cannot remove the journal", "path", journal.Path(), "err", err)
	}
	if runErr != nil && code == exitAborted {
		hint := ""
		if errors.Is(runErr, batch.ErrAuthAborted) {
			hint = "check the credentials (auth in the config and the environment variables), then continue with pcreconcile run --resume " + quoteArg(j.report)
		}
		j.printError(&exitError{code: code, err: runErr, hint: hint})
	}
	counts.WriteSummary(j.stdout, meta, j.report, "pcreconcile run --resume "+quoteArg(j.report))
	if code != exitOK {
		return exitWith(code)
	}
	for status, n := range counts.Lines {
		if n > 0 && status.NeedsAttention(j.dryRun()) {
			return exitWith(exitIncomplete)
		}
	}
	return nil
}

// readOptions says how to read an input under cfg.
func (a *app) readOptions(cfg *config, extras bool) (batch.ReadOptions, error) {
	headers, err := batch.NewHeaders(cfg.Input.Columns)
	if err != nil {
		return batch.ReadOptions{}, err
	}
	delim, err := parseDelimiter(cfg.Input.Delimiter)
	if err != nil {
		return batch.ReadOptions{}, usage(err.Error(), "")
	}
	return batch.ReadOptions{Headers: headers, Sheet: cfg.Input.Sheet, Delimiter: delim, Extras: extras}, nil
}

func (j *job) rateText() string {
	s := fmt.Sprintf("%g requests/minute", j.cfg.Run.RequestsPerMinute)
	if c := j.cfg.Run.CustomerRequestsPerMinute; c > 0 {
		s += fmt.Sprintf(", %g per customer", c)
	}
	return s
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
