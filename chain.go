package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/ledger"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/resume"
	"github.com/pcreconcile/pcreconcile/internal/lock"
	"github.com/pcreconcile/pcreconcile/report"
)

// ledgerPath is the run ledger under cfg: history.path, or the user's.
func (a *app) ledgerPath(cfg *config.Config) (string, error) {
	if cfg.History.Path != "" {
		return cfg.History.Path, nil
	}
	dir, err := a.userConfigDir()
	if err != nil {
		return "", cfg.Errorf("history.path", "set history.path to a file the ledger can be kept in", "there is no user config directory to keep the run ledger in: %v", err)
	}
	return ledger.DefaultPath(dir), nil
}

// userConfigDir is where a user's pcreconcile files live by default.
func (a *app) userConfigDir() (string, error) {
	if a.configDir != nil {
		return a.configDir()
	}
	return os.UserConfigDir()
}

// readLedger reads the run ledger at path and the per-folder histories
// earlier versions kept in dirs, oldest first.
func (a *app) readLedger(path string, dirs ...string) (ledger.Ledger, error) {
	var all ledger.Ledger
	var seen []string
	for _, dir := range dirs {
		if abs := abs(dir); !slices.Contains(seen, abs) {
			seen = append(seen, abs)
			old, err := ledger.ReadLegacy(dir)
			if err != nil {
				return nil, err
			}
			all = append(all, old...)
		}
	}
	l, err := ledger.Read(path)
	if err != nil {
		return nil, err
	}
	return append(all, l...), nil
}

// openLedger reads this job's ledger (and the old history beside its
// report and in the working directory).
func (j *job) openLedger() error {
	var err error
	if j.ledgerFile, err = j.ledgerPath(j.cfg); err != nil {
		return err
	}
	if j.ledger, err = j.readLedger(j.ledgerFile, filepath.Dir(j.report), "."); err != nil {
		return config.NewError(j.ledgerFile, "cannot read the run ledger: "+err.Error(), "fix or move the file (history.path in the config names another)")
	}
	return nil
}

// lockChain takes the chain's lock for as long as this process works on
// it: a second process on any link of the chain is refused at once,
// naming who holds it.
func (j *job) lockChain(chain string) error {
	path := filepath.Join(ledger.LockDir(j.ledgerFile), chain+".lock")
	l, err := lock.Try(path, lock.Holder{PID: os.Getpid(), Host: hostname(), User: userName(), Since: j.started, Command: j.commandLine()})
	var held *lock.HeldError
	if errors.As(err, &held) {
		return usage(fmt.Sprintf("chain %s is %s", chain, held.Error()),
			"wait for it to finish, then continue from the report it writes; nothing was sent")
	}
	if err != nil {
		return config.NewError(path, "cannot lock the chain: "+err.Error(), "the folder of the run ledger (history.path) must be writable")
	}
	j.unlock = l
	return nil
}

// checkHead refuses to resume a link that a newer one continued.
func (j *job) checkHead(link resume.Link) error {
	head := resume.Head(link, j.ledger)
	if head.Run == link.Run {
		return nil
	}
	return &exitError{code: exitUsage, err: &resume.NotHeadError{Given: link, Head: head, Continue: j.hints().Link(head)}}
}

// guardFresh refuses a fresh run of an input (SHA-256 sha) that a chain
// left unfinished — pointing at that chain's head, never at a stale
// journal — or, against a real endpoint, one that ran already. A journal
// beside the report that belongs to a chain finished elsewhere is stale:
// it is removed.
func (j *job) guardFresh(input, sha string, ep *endpoint) error {
	dir := filepath.Dir(j.report)
	if !j.flags.fresh {
		for _, jp := range unfinishedJournals(dir, sha, j.mode) {
			link, err := resume.Identify(jp)
			if err != nil {
				continue
			}
			head := resume.Head(link, j.ledger)
			if head.Run != link.Run && !head.Resumable() {
				if os.Remove(jp) == nil {
					j.log.Info("removed a journal left behind by a chain that has finished", "journal", jp, "chain", head.Chain, "report", head.Report)
				}
				continue
			}
			return usage(fmt.Sprintf("%s has an unfinished %s of this input (%s)", head.From(), head.Mode, input),
				"continue it with: "+j.hints().Link(head)+"   (or start afresh with --fresh)")
		}
	}
	// The same sheet run twice against the same endpoint: the second
	// workbook would show everything already_cancelled and hide what the
	// first one cancelled. The sandbox is exempt, so samples can be rerun.
	if j.mode != record.Run || ep.sandbox || j.flags.again {
		return nil
	}
	last, ok := j.ledger.LastRun(sha, ep.name, record.Run)
	if !ok {
		return nil
	}
	head := resume.Head(resume.Link{Chain: last.ChainID, Run: last.RunID, Mode: last.Mode, Report: last.Report, Written: true, Left: last.LinesLeft}, j.ledger)
	next := "nothing is left to do in it"
	if head.Resumable() {
		next = "to finish what it left: " + j.hints().Link(head)
	}
	return usage(fmt.Sprintf("%s already ran against %s on %s (run %s, report %s; the chain's newest report is %s)",
		input, last.Endpoint, last.When.Format("2006-01-02 15:04 MST"), last.RunID, last.Report, head.Report),
		next+"   (to run the sheet again anyway: --again)")
}

// unfinishedJournals are the journals in dir of a run of mode on the input
// with that SHA-256 (a resume's journal names a report as its source).
func unfinishedJournals(dir, sha string, mode record.Mode) []string {
	var out []string
	matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
	for _, m := range matches {
		h, err := journal.ReadHeader(m)
		if err == nil && !h.Source.Report && h.Source.SHA256 == sha && h.Mode == mode {
			out = append(out, m)
		}
	}
	return out
}

// record appends this run's row to the ledger; before the first request
// (result ledger.Started) it must succeed: a run the ledger does not know
// could escape every guard.
func (j *job) record(e ledger.Entry) error {
	e.Who, e.Mode, e.Command = runBy(), j.mode, j.commandLine()
	e.Input, e.InputSHA256 = j.work.Input.Name, j.work.Input.SHA256
	e.Config, e.ChainID, e.RunID, e.ParentRunID = j.configPath(), j.work.Chain, j.runID, j.work.Parent.RunID
	e.Report = abs(j.report)
	return ledger.Append(j.ledgerFile, e)
}

// recordEnd appends the row of how the run ended: its report's SHA-256
// and seal, what this run cancelled itself, what is left.
func (j *job) recordEnd(meta report.Meta, counts *report.Counts) {
	e := ledger.Entry{When: meta.Finished, Endpoint: meta.Endpoint, Result: counts.Result, Seal: counts.Seal, LinesLeft: counts.Unfinished}
	e.ReportSHA256, _ = plan.FileSHA256(j.report)
	e.LinesCancelled, e.QuantityCancelled, e.AmountCancelled = counts.RunTotals(j.unaccounted()...)
	if err := j.record(e); err != nil {
		j.log.Warn("cannot add the run's end to the ledger", "ledger", j.ledgerFile, "err", err)
	}
}

// unaccounted are the runs whose cancellations this run's ledger row
// counts: its own, and those of the links it continues that died before
// recording their end — up to the nearest one that did record it — so
// that every cancellation is in exactly one row of the ledger: the row of
// the first link that ended after it.
func (j *job) unaccounted() []string {
	runs := []string{j.runID}
	byRun := map[string]ledger.Entry{}
	for _, e := range j.ledger.Runs() {
		byRun[e.RunID] = e
	}
	for p := j.work.Parent.RunID; p != "" && !slices.Contains(runs, p); {
		e, ok := byRun[p]
		if !ok || e.Finished() {
			break
		}
		runs = append(runs, p)
		p = e.ParentRunID
	}
	return runs
}

// finishChain removes every journal of the chain once its head — this run
// — left nothing to retry: the journals of links that were interrupted and
// continued, wherever the ledger or the folders say they are.
func (j *job) finishChain(counts *report.Counts) {
	if counts.Unfinished > 0 || j.dryRun() {
		return
	}
	led, err := j.readLedger(j.ledgerFile)
	if err != nil {
		return
	}
	dirs := []string{filepath.Dir(j.report)}
	if j.resumed != "" {
		dirs = append(dirs, filepath.Dir(j.resumed))
	}
	for _, jp := range resume.Journals(j.work.Chain, led, dirs...) {
		if err := os.Remove(jp); err == nil {
			j.log.Info("the chain is finished: removed the journal of an earlier link", "journal", jp)
		}
	}
}
