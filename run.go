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
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/progress"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/resume"
	"github.com/pcreconcile/pcreconcile/batch/run"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/internal/lock"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/report"
)

// runFlags are the flags of plan and run.
type runFlags struct {
	config, report, sheet, delimiter, logFormat, resume string
	concurrency                                         config.Int
	rate                                                config.Float
	yes, quiet, verbose, force, fresh, retryRejected    bool
	again                                               bool
}

func (f *runFlags) register(fs *flag.FlagSet, mode record.Mode) {
	fs.StringVar(&f.config, "config", "", "config `FILE` (default pcreconcile.yaml if present; none means the sandbox)")
	fs.StringVar(&f.report, "report", "", "write the workbook to `PATH`.xlsx (default reconciliation-YYYYMMDD-HHMMSS.xlsx here)")
	fs.BoolVar(&f.force, "force", false, "replace an existing report (never the input, nor a file this command reads)")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet `NAME` (default: the first visible sheet)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter `CHAR`: auto, \",\", \";\", \"|\" or tab")
	fs.Var(&f.concurrency, "concurrency", "`N` orders in flight at once, 1–64 (default from config, 8)")
	f.rate.Unit = "requests per minute"
	fs.Var(&f.rate, "rate", "`N` requests per minute across all customers, retries included (default from config, 500)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress and no informational logs; the summary still goes to stdout")
	fs.BoolVar(&f.verbose, "v", false, "verbose: log every request (never headers, tokens or secrets)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: `text|json`")
	fs.BoolVar(&f.fresh, "fresh", false, "start afresh although an unfinished journal of the same input exists")
	if mode == record.Plan {
		fs.StringVar(&f.resume, "resume", "", "finish a plan that was interrupted, from its `JOURNAL` (or the report it did not write)")
		return
	}
	fs.StringVar(&f.resume, "resume", "", "continue from an earlier `REPORT` (or its .journal): process only what is not finished")
	fs.BoolVar(&f.retryRejected, "retry-rejected", false, "with --resume: also send again the lines Partner Center rejected (e.g. after a reseller relationship was restored)")
	fs.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required without a terminal, against a real endpoint)")
	fs.BoolVar(&f.again, "again", false, "run an input again although the run ledger shows it ran against this endpoint")
}

const planHelp = `Usage: pcreconcile plan [flags] INPUT
       pcreconcile plan [flags] --resume JOURNAL

Reads every order the sheet names from Partner Center (GET only; nothing is
changed) and writes the reconciliation workbook as a run would, with
would_cancel for each line a run would cancel and what it would cancel,
quantities and prices before, each line's Cancellable Until, and every
problem a run would hit: not found, mismatches, and — predicted from the
product kind and the purchase date — not_cancellable (an Azure plan) and
outside_window (past its deadline).

Review the workbook, then execute exactly what it shows:
  pcreconcile run --resume reconciliation-YYYYMMDD-HHMMSS.xlsx
A line whose quantity has changed since the plan is then held as mismatch.

--resume JOURNAL finishes a plan that was interrupted before it wrote its
workbook. A plan's journal is only ever finished by plan: run refuses it.

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
Orders, Customers, Statuses) and the journal removed.

Without a config file the run goes to the built-in sandbox and says so.
Against a real endpoint it shows the plan and asks before it starts; without
a terminal it needs --yes.

--resume REPORT continues from an earlier report, plan or journal: lines that
are pending, failed, not_cancelled or would_cancel are done again (each order
is read first, so nothing is ever cancelled twice); all others are carried
over unchanged. A new report is written; the old one is never modified. It
must go to the endpoint the earlier run went to: pass the same --config.

Guards: a fresh run of an input that already ran against this endpoint (the
run ledger says so: pcreconcile history) is refused unless --again; one
whose run was interrupted is refused unless --fresh; --force replaces an
earlier report, never the input or a file this command reads. Only the
latest report of a chain of resumes can be resumed, by one command at a
time.

Ctrl-C stops the run in seconds, whatever Retry-After asks: orders not yet
sent stop (pending); a cancellation already sent gets up to 10 s for its
answer, then one GET shows what it did (a line whose outcome stays unknown is
failed, and the resume reads its order before anything else). The report is
written (exit 130); a second Ctrl-C quits at once, and the journal still
holds every finished order.

Exit status: 0 every line cancelled or already cancelled, 1 some lines did
not succeed, 2 usage, config or input error (nothing sent), 3 aborted
(authentication keeps failing, report not writable), 130 interrupted.

Examples:
  pcreconcile run samples/cancellations.csv
  pcreconcile run cancellations.xlsx --config pcreconcile.yaml --yes
  pcreconcile run --resume reconciliation-20261121-093000.xlsx

Flags:
`

func (a *app) cmdRun(ctx context.Context, args []string, mode record.Mode) error {
	fs := flag.NewFlagSet(mode.String(), flag.ContinueOnError)
	fs.SetOutput(a.stdout) // --help is read with less, or piped
	var f runFlags
	f.register(fs, mode)
	fs.Usage = func() {
		if mode == record.Plan {
			fmt.Fprint(fs.Output(), planHelp)
		} else {
			fmt.Fprint(fs.Output(), runHelp)
		}
		printFlags(fs)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	// Every flag combination is checked before any work.
	switch {
	case f.resume != "" && len(pos) > 0:
		return usage("--resume cannot be combined with an INPUT file", "did you mean pcreconcile "+mode.String()+" --resume "+quoteArg(f.resume)+"?")
	case f.resume != "" && f.fresh:
		return usage("--resume and --fresh contradict each other", "")
	case f.retryRejected && f.resume == "":
		return usage("--retry-rejected goes with --resume", "pcreconcile run --resume REPORT --retry-rejected")
	case f.resume == "" && len(pos) == 0:
		return usage(mode.String()+" needs an INPUT file", "pcreconcile "+mode.String()+" samples/cancellations.csv")
	case len(pos) > 1:
		return usage(fmt.Sprintf("%s takes one INPUT file, got %d: %s", mode, len(pos), strings.Join(pos, " ")), "")
	case f.concurrency.Given && (f.concurrency.Value < 1 || f.concurrency.Value > 64):
		return usage(fmt.Sprintf("--concurrency %d is out of range 1–64", f.concurrency.Value), "")
	case f.rate.Given && f.rate.Value < 1:
		return usage(fmt.Sprintf("--rate %g: must be at least 1 request per minute", f.rate.Value), "Partner Center allows 500 a minute for orders")
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	f.apply(cfg)
	log, err := newLogger(a.stderr, f.logFormat, f.verbose, f.quiet)
	if err != nil {
		return usage(err.Error(), "")
	}
	started := a.now()
	j := &job{app: a, cfg: cfg, flags: f, mode: mode, log: log, started: started, runID: newRunID(started)}
	if j.sealKey, err = a.sealKey(cfg); err != nil {
		return err
	}
	a.expect("stopping: orders not yet sent stop now, a cancellation already sent gets a few seconds to be answered; then the report is written. Press Ctrl-C again to quit at once (the journal keeps every finished order)",
		func() string {
			if hint := j.quitHint.Load(); hint != nil {
				return "quitting at once; the journal keeps every finished order: resume later with " + *hint
			}
			return "quitting at once; nothing was sent yet"
		})
	j.report = f.report
	if j.report == "" && f.resume != "" {
		// A run that died before writing its report is finished into that
		// report, where it meant to write it.
		if link, err := resume.Identify(f.resume); err == nil && !link.Written && link.Journal != "" && link.Report != "" {
			j.report = link.Report
		}
	}
	if j.report == "" {
		j.report = a.defaultPath("reconciliation-" + started.Format("20060102-150405") + ".xlsx")
	}
	return j.run(ctx, pos)
}

// apply lets flags override the config.
func (f *runFlags) apply(cfg *config.Config) {
	if f.concurrency.Given {
		cfg.Run.Concurrency = f.concurrency.Value
	}
	if f.sheet != "" {
		cfg.Input.Sheet = f.sheet
	}
	if f.delimiter != "" {
		cfg.Input.Delimiter = f.delimiter
	}
	if f.rate.Given {
		cfg.Run.RequestsPerMinute = f.rate.Value
	}
}

// job is one plan or run.
type job struct {
	*app
	cfg     *config.Config
	flags   runFlags
	mode    record.Mode
	log     *slog.Logger
	started time.Time
	runID   string
	report  string // the workbook to write
	// confirmed says how the run was confirmed, for the Summary.
	confirmed string
	// unreachable says why Partner Center could not be reached, if so.
	unreachable string

	work *resume.Work // the plan, its journal and the original input
	// ledgerFile is the run ledger and ledger its rows when the job began;
	// unlock holds the lock of the job's chain.
	ledgerFile string
	ledger     ledger.Ledger
	unlock     *lock.Lock
	// sealKey is the key of report.seal_key_env, or nil.
	sealKey []byte
	// quitHint is the command that resumes this job from its journal, once
	// it has one: a second Ctrl-C prints it.
	quitHint atomic.Pointer[string]
	resumed  string // the report or journal resumed from
}

func (j *job) dryRun() bool { return j.mode == record.Plan }

// run checks where the report goes, prepares the work (nothing sent yet:
// exit 2 on any problem), connects (exit 3 on wrong credentials), asks for
// confirmation, and executes.
func (j *job) run(ctx context.Context, pos []string) error {
	if err := j.checkReportPath(pos); err != nil {
		return err
	}
	if err := j.openLedger(); err != nil {
		return err
	}
	defer func() {
		if j.unlock != nil {
			j.unlock.Release()
		}
	}()
	ep := j.describe()
	err := j.prepare(pos, ep)
	if err == nil {
		err = j.connect(ep)
	}
	if err == nil {
		defer ep.close()
		err = j.confirm(ep)
	}
	if err == nil {
		err = j.start(ep)
	}
	if err != nil {
		if j.work != nil {
			j.work.Journal.Remove()
		}
		var je *journal.Error
		if errors.As(err, &je) {
			return &exitError{code: exitAborted, err: je, hint: "the report's directory must be writable; choose another --report PATH"}
		}
		return err
	}
	return j.execute(ctx, ep)
}

// start makes the job's journal the chain's and records in the ledger
// that the run starts — the last steps before the first request.
func (j *job) start(ep *endpoint) error {
	if err := j.work.Start(); err != nil {
		return err
	}
	hint := j.hints().Into(j.mode, j.work.Journal.Path(), j.report)
	j.quitHint.Store(&hint)
	if err := j.record(ledger.Entry{When: j.started, Endpoint: ep.name, Result: ledger.Started}); err != nil {
		return config.NewError(j.ledgerFile, "cannot add the run to the run ledger: "+err.Error(), "the ledger (history.path) must be writable; nothing was sent")
	}
	return nil
}

// continueWith is the command that carries on from path with command —
// with the config and the reading flags this command was given, so that
// following it reaches the same endpoint and reads the sheet the same way.
func (j *job) continueWith(mode record.Mode, path string) string {
	return j.hints().Continue(mode, path)
}

// hints spells the commands this job's messages print.
func (j *job) hints() resume.Command {
	wd, _ := os.Getwd()
	return resume.Command{Config: j.cfg.Path, Delimiter: j.flags.delimiter, Dir: wd}
}

// checkReportPath checks, before anything is read or sent, that the report
// can be written where asked (report.CheckPath), that it is not the report
// or journal being resumed, and that no unfinished journal is in its way.
func (j *job) checkReportPath(pos []string) error {
	rep := j.report
	j.resumed = j.flags.resume
	reads := append([]string{j.resumed, j.cfg.Path}, pos...)
	if j.resumed != "" && !strings.HasSuffix(j.resumed, ".journal") {
		reads = append(reads, journal.Path(j.resumed))
	}
	if err := report.CheckPath(rep, j.flags.force, reads...); err != nil {
		return err
	}
	jpath := journal.Path(rep)
	if j.resumed != "" && abs(j.resumed) == abs(rep) {
		return usage("the new report would take the place of the one being resumed", "leave --report out, or give a new PATH")
	}
	if j.resumed != "" && (abs(j.resumed) == abs(jpath) || abs(journal.Path(j.resumed)) == abs(jpath)) {
		return nil // finishing the journal into the report it was for: it takes the journal's place
	}
	if _, err := os.Stat(jpath); err == nil {
		mode := j.mode
		if h, err := journal.ReadHeader(jpath); err == nil {
			mode = h.Mode
		}
		return usage("an unfinished journal "+jpath+" is in the way", "finish it with "+j.hints().Into(mode, jpath, rep)+", or choose another --report PATH")
	}
	return nil
}

// prepare reads the input (or the earlier report or journal), creates the
// journal, and applies run.max_lines.
func (j *job) prepare(pos []string, ep *endpoint) error {
	header := journal.Header{
		RunID:       j.runID,
		Mode:        j.mode,
		Report:      abs(j.report),
		ResumedFrom: j.resumed,
		Endpoint:    ep.name,
		Sandbox:     ep.sandbox,
		Tenant:      ep.tenant,
		Config:      j.configPath(),
		Started:     j.started,
	}
	read, err := readOptions(j.cfg, true)
	if err != nil {
		return err
	}
	if j.resumed != "" {
		link, lerr := resume.Identify(j.resumed)
		if lerr != nil {
			return lerr
		}
		if err := j.lockChain(link.Chain); err != nil {
			return err
		}
		if err := j.checkHead(link); err != nil {
			return err
		}
		if link.Journal != "" && !link.Written {
			j.resumed = link.Journal // the journal beside a report that was never written
		}
		j.work, err = resume.Prepare(resume.Options{
			From:          j.resumed,
			Mode:          j.mode,
			Endpoint:      ep.name,
			Command:       j.hints(),
			RetryRejected: j.flags.retryRejected,
			SealKey:       j.sealKey,
			Read:          read,
			JournalPath:   journal.Path(j.report),
			Journal:       header,
			Log:           j.log,
		})
		if err == nil {
			err = report.NotOneOf(j.report, j.work.Input.Path) // the sheet a journal names
		}
	} else {
		j.work, err = j.prepareFresh(pos[0], read, header, ep)
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

// configPath is the config file this command used, absolute, or "".
func (j *job) configPath() string {
	if j.cfg.Path == "" {
		return ""
	}
	return abs(j.cfg.Path)
}

// todo counts the lines the run will process.
// workText says what a run will do, for the confirmation: customers,
// orders and lines with work, and what the lines are worth where a plan
// priced them.
func workText(w plan.Work) string {
	text := fmt.Sprintf("%s, %s, %s to cancel", plural(w.Customers, "customer"), plural(w.Orders, "order"), plural(w.Lines, "line"))
	var amounts []string
	for _, cur := range slices.Sorted(maps.Keys(w.Amounts)) {
		if cur != "" {
			amounts = append(amounts, cur+" "+report.FormatMoney(w.Amounts[cur]))
		}
	}
	switch {
	case len(amounts) > 0 && w.Unpriced == 0:
		text += "\n  worth " + strings.Join(amounts, "; ") + " (as the plan priced them)"
	case len(amounts) > 0:
		text += fmt.Sprintf("\n  worth %s as the plan priced them, and %s whose price is read with its order", strings.Join(amounts, "; "), plural(w.Unpriced, "line"))
	default:
		text += "\n  the amount is known once each order is read (pcreconcile plan shows it first)"
	}
	return text
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func (j *job) todo(s plan.Summary) int {
	if j.resumed != "" {
		return j.work.Plan.Unfinished()
	}
	return s.Lines + s.AllLineRows
}

func (j *job) prepareFresh(input string, read plan.ReadOptions, header journal.Header, ep *endpoint) (*resume.Work, error) {
	p, err := plan.ReadFile(input, read)
	if err != nil {
		return nil, err
	}
	p.Source.Sheet = j.cfg.Input.Sheet
	if err := j.guardFresh(input, p.Source.SHA256, ep); err != nil {
		return nil, err
	}
	if err := j.lockChain(j.runID); err != nil { // a new chain: its own
		return nil, err
	}
	header.Source = p.Source
	header.Source.Path = abs(input)
	header.ChainID = j.runID
	jr, err := journal.Create(journal.Path(j.report), header)
	if err != nil {
		return nil, &journal.Error{Op: "create", Err: err}
	}
	return &resume.Work{Plan: p, Journal: jr, Input: p.Source, Chain: j.runID}, nil
}

// confirm shows the plan and asks, when a run goes to a real endpoint.
func (j *job) confirm(ep *endpoint) error {
	switch {
	case j.dryRun():
		return nil
	case ep.sandbox:
		j.confirmed = "not asked: the sandbox changes nothing real"
		return nil
	}
	s := j.work.Plan.Summarize()
	fmt.Fprintf(j.stderr, "\nAbout to cancel on %s", ep.name)
	if ep.tenant != "" {
		fmt.Fprintf(j.stderr, " (partner tenant %s)", ep.tenant)
	}
	fmt.Fprintf(j.stderr, ":\n  %s\n", workText(j.work.Plan.Work()))
	if s.Carried > 0 {
		fmt.Fprintf(j.stderr, "  %d lines are finished already and will not be touched\n", s.Carried)
	}
	if s.Invalid+s.Duplicate > 0 {
		fmt.Fprintf(j.stderr, "  %d invalid and %d duplicate rows will not be sent (see pcreconcile check)\n", s.Invalid, s.Duplicate)
	}
	if j.flags.yes {
		j.confirmed = "not asked: --yes"
		return nil
	}
	if !j.stdinTTY {
		return usage("confirmation needed, and there is no terminal to ask", "add --yes to run without asking (e.g. in a scheduled job)")
	}
	fmt.Fprint(j.stderr, "Continue? [y/N] ")
	answer, _ := bufio.NewReader(j.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		j.confirmed = "at the prompt by " + runBy() + ", " + j.now().UTC().Format("2006-01-02 15:04 UTC")
		return nil
	}
	fmt.Fprintln(j.stderr, "pcreconcile: nothing was sent")
	return exitWith(exitUsage)
}

// execute runs the plan, writes the books (the workbook, the end of the
// journals, the history) and says how it ended.
func (j *job) execute(ctx context.Context, ep *endpoint) error {
	runErr := j.runOrders(ctx, ep)
	meta := j.meta(ep, runErr, ctx)
	counts, err := j.writeBooks(meta)
	if err != nil {
		return err
	}
	if runErr != nil {
		hint := ""
		switch {
		case errors.Is(runErr, run.ErrAuthAborted) && strings.Contains(runErr.Error(), pcclient.CodeMFARequired):
			hint = "switch to app-only mode (auth.mode: app, which cancellation supports), or sign in with MFA, then continue with " + j.continueWith(record.Run, j.report)
		case errors.Is(runErr, run.ErrAuthAborted):
			hint = "check the credentials (auth in the config and the environment variables), then continue with " + j.continueWith(record.Run, j.report)
		}
		j.printError(&exitError{code: exitAborted, err: runErr, hint: hint})
	}
	if j.unreachable != "" {
		j.printError(&exitError{err: errors.New("Partner Center was not reached: " + j.unreachable),
			hint: "the orders it could not read are failed; once the endpoint is reachable, continue with " + j.continueWith(record.Run, j.report)})
	}
	report.WriteSummary(j.stdout, counts, meta, j.report, j.continueWith(record.Run, j.report))
	return exitWith(j.exitCode(ctx, runErr, counts))
}

// runOrders processes the plan's orders, journaling each outcome. Its error
// aborts the run (authentication keeps failing, the journal cannot be
// written); an interruption is not an error: ctx says so.
func (j *job) runOrders(ctx context.Context, ep *endpoint) error {
	if ep.sandbox {
		j.log.Warn("running against the built-in SANDBOX: no real orders will be changed", "state", ep.state)
	}
	r := &run.Runner{
		Client:        ep.client,
		Concurrency:   j.cfg.Run.Concurrency,
		DryRun:        j.dryRun(),
		RunID:         j.runID,
		Journal:       j.work.Journal,
		Clock:         runClock{j.now},
		SettleTimeout: time.Duration(j.cfg.Run.SettleTimeout),
		Windows:       j.windows(),
		Log:           j.log,
		Progress:      progress.New(j.stderr, j.stderrTTY && !j.flags.quiet, j.log, j.mode.String(), j.now),
	}
	err := r.Run(ctx, j.work.Plan)
	j.unreachable = r.Unreachable()
	return err
}

// windows are the cancellation windows of the config (checked when it
// was loaded).
func (j *job) windows() deadline.Rules {
	r, _ := j.cfg.Run.WindowRules()
	return r
}

// runClock is the system clock, telling the time by the app's now.
type runClock struct{ now func() time.Time }

func (c runClock) Now() time.Time { return c.now() }

func (c runClock) Sleep(ctx context.Context, d time.Duration) error {
	return pcclient.SystemClock{}.Sleep(ctx, d)
}

// meta is what the workbook's Summary says of this job, once its orders
// are done (or it stopped).
func (j *job) meta(ep *endpoint, runErr error, ctx context.Context) report.Meta {
	result := "" // ran to the end
	switch {
	case errors.Is(runErr, run.ErrAuthAborted):
		result = "aborted: authentication kept failing"
	case runErr != nil:
		result = "aborted: " + runErr.Error()
	case interrupted(ctx):
		result = report.Interrupted
	}
	return report.Meta{
		Version:     mustVersion(),
		Mode:        j.mode,
		CommandLine: j.commandLine(),
		Endpoint:    ep.name,
		Tenant:      ep.tenant,
		RunBy:       runBy(),
		Identity:    ep.identity,
		Input:       j.work.Input,
		ResumedFrom: j.resumed,
		RunID:       j.runID,
		ChainID:     j.work.Chain,
		Parent:      j.parent(),
		Started:     j.started,
		Finished:    j.now(),
		Concurrency: j.cfg.Run.Concurrency,
		Rate:        j.cfg.RateText(),
		Stopped:     result,
		NothingToDo: j.resumed != "" && j.work.Plan.Unfinished() == 0,
		Config:      j.configPath(),
		Continue:    j.continueWith(record.Run, j.report),
		Approval:    j.work.Approval,
		Confirmed:   j.confirmed,
		Windows:     j.windows(),
	}
}

// writeBooks writes the workbook from the journal, then retires the
// journals it makes redundant and records the run in the history. A
// workbook that cannot be written aborts (exit 3) and keeps the journal.
func (j *job) writeBooks(meta report.Meta) (*report.Counts, error) {
	// The whole plan stays live while a million lines stream past it into
	// the report; a 50 % GC target holds the peak at 1.5 times the live
	// heap instead of twice it — 300 MB instead of 400 MB for a million
	// lines, for about 4 % more time (README, Performance).
	defer j.gcTarget(50)()
	write := j.writeReport
	if write == nil {
		write = report.Write
	}
	journal := j.work.Journal
	counts, err := write(report.Options{
		Path:        j.report,
		Force:       j.flags.force,
		Meta:        meta,
		Extra:       j.work.Plan.Extra,
		ExtraWidths: j.work.Plan.ExtraWidths(),
		Outcomes:    run.Outcomes(j.work.Plan, journal, j.runID),
		Lines:       run.LineCount(j.work.Plan, journal),
		Orders:      len(j.work.Plan.Orders),
		SealKey:     j.sealKey,
	})
	if err != nil {
		journal.Close()
		return nil, &exitError{code: exitAborted, err: fmt.Errorf("cannot write the report %s: %w", j.report, err),
			hint: fmt.Sprintf("every finished order is in %s; write the report with: %s", journal.Path(), j.hints().Into(j.mode, journal.Path(), j.report))}
	}
	j.finishJournals(journal)
	j.recordEnd(meta, counts)
	j.finishChain(counts)
	return counts, nil
}

// parent is the link this job continues, nil for a first link.
func (j *job) parent() *record.Parent {
	if j.work.Parent.RunID == "" {
		return nil
	}
	p := j.work.Parent
	return &p
}

// exitCode is how the job ended: aborted, interrupted (whenever a signal
// stopped it, even while the books were being written), some lines not as
// wanted, or every line done.
func (j *job) exitCode(ctx context.Context, runErr error, counts *report.Counts) int {
	switch {
	case runErr != nil:
		return exitAborted
	case interrupted(ctx):
		return exitInterrupted
	}
	for status, n := range counts.Lines {
		if n > 0 && status.NeedsAttention(j.dryRun()) {
			return exitIncomplete
		}
	}
	return exitOK
}

// finishJournals removes the journals the written report has made
// redundant: this run's, and the earlier run's journal it carried on from.
func (j *job) finishJournals(journal *journal.Journal) {
	if err := journal.Remove(); err != nil {
		j.log.Warn("cannot remove the journal", "path", journal.Path(), "err", err)
	}
	if old := j.work.Finishes; old != "" {
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			j.log.Warn("cannot remove the journal this run finished", "path", old, "err", err)
		} else {
			j.log.Info("the journal this run finished is removed: the new report holds everything it had", "path", old)
		}
	}
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
