package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/credits"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/resume"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/creditbook"
)

const creditsHelp = `Usage: pcreconcile credits [flags] REPORT RECON…

Did the money come back? Matches every line REPORT cancelled (a run's
workbook; it carries the lines the earlier runs of its chain cancelled)
against Partner Center's reconciliation files RECON… — billed or unbilled,
CSV or XLSX, as downloaded (Partner Center: Billing, then the invoice's
reconciliation file; or the unbilled reconciliation file of the current
period) — and writes a workbook (--report, default
credits-YYYYMMDD-HHMMSS.xlsx): Summary, Lines, Unmatched Credits, Customers,
Statuses.

A credit row is a refund charge type (Cancel, cancelImmediate,
removeQuantity, customerCredit, …) or a negative amount; it matches a line
by customer, order id (or the order's alternate id) and offer
(ProductId:SkuId:AvailabilityId). Each cancelled line gets a credit status:
credited (the credit equals Amount Cancelled within a cent per unit),
credited_partly (less: expected for a software subscription, which is
prorated), over_credited, not_credited (no credit yet), currency_differs;
a credit no cancelled line claims is an unexpected_credit.

Give it the last report of the chain: a resume's report carries what the
runs before it cancelled; given an earlier one, credits says which later
report to check. A plan, a report changed since it was written (its seal
says so) and the same file given twice are refused.

Exit status: 0 every cancelled line is credited, 1 some are not, 2 unusable
input.

Examples:
  pcreconcile credits reconciliation-20261121-093000.xlsx recon-G000004101.csv
  pcreconcile credits run.xlsx unbilled-november.xlsx billed-november.csv

Flags:
`

func (a *app) cmdCredits(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("credits", flag.ContinueOnError)
	fs.SetOutput(a.stdout) // --help is read with less, or piped
	cfgPath := fs.String("config", "", "config `FILE` (input.delimiter for the RECON files, report.seal_key_env, history.path; default pcreconcile.yaml if present)")
	out := fs.String("report", "", "write the workbook to `PATH`.xlsx (default credits-YYYYMMDD-HHMMSS.xlsx here)")
	force := fs.Bool("force", false, "replace an existing workbook")
	delimiter := fs.String("delimiter", "", "CSV delimiter `CHAR` of the RECON files: auto, \",\", \";\", \"|\" or tab")
	sheetName := fs.String("sheet", "", "XLSX sheet `NAME` of the RECON files (default: the first visible sheet)")
	quiet := fs.Bool("quiet", false, "no warnings on stderr")
	fs.Usage = func() { fmt.Fprint(fs.Output(), creditsHelp); printFlags(fs) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usage("credits needs a REPORT and at least one RECON file", "pcreconcile credits reconciliation-….xlsx recon.csv")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *delimiter != "" {
		cfg.Input.Delimiter = *delimiter
	}
	delim, err := config.ParseDelimiter(cfg.Input.Delimiter)
	if err != nil {
		return usage(err.Error(), "")
	}
	started := a.now()
	path := *out
	if path == "" {
		path = a.defaultPath("credits-" + started.Format("20060102-150405") + ".xlsx")
	}
	if err := report.CheckPath(path, *force, pos...); err != nil {
		return err
	}
	key, err := a.sealKey(cfg)
	if err != nil {
		return err
	}
	log, err := newLogger(a.stderr, "text", false, *quiet)
	if err != nil {
		return err
	}
	prior, err := a.openCancellations(pos[0], key, log)
	if err != nil {
		return err
	}
	defer prior.Close()
	later := a.laterLink(cfg, prior)
	// The lines are the live heap (a million are a few hundred MB); a 50 %
	// GC target holds the peak at 1.5 times it (README, Performance).
	defer a.gcTarget(50)()
	lines, err := creditbook.CancelledLines(prior)
	if err != nil {
		return err
	}
	m := credits.NewMatcher(lines)
	var files []*credits.File
	for _, recon := range pos[1:] {
		f, err := credits.ReadRecon(recon, sheet.Options{Sheet: *sheetName, Delimiter: delim}, func(r *credits.Row) error {
			m.Add(r)
			return ctx.Err()
		})
		if err != nil {
			if ctx.Err() != nil {
				return exitWith(exitInterrupted)
			}
			return err
		}
		for _, g := range files {
			if g.SHA256 == f.SHA256 {
				return usage(fmt.Sprintf("%s and %s are the same file (SHA-256 %s): its credits would be counted twice", g.Path, f.Path, f.SHA256), "give each reconciliation file once")
			}
		}
		files = append(files, f)
	}
	m.Finish()
	t, err := creditbook.WriteCredits(creditbook.CreditsOptions{Path: path, Force: *force, Report: prior, Files: files, Matcher: m,
		Version: mustVersion(), CommandLine: a.commandLine(), RunBy: runBy(), Now: started, Later: later})
	if errors.Is(err, report.ErrExists) {
		return usage(err.Error(), "choose another --report, or add --force to replace it")
	}
	if err != nil {
		return &exitError{code: exitAborted, err: fmt.Errorf("cannot write %s: %w", path, err)}
	}
	writeCreditsSummary(a.stdout, prior, files, t, len(lines), path)
	if later != "" {
		fmt.Fprintf(a.stdout, "\nNote: %s.\n", later)
	}
	if t.ByStatus[credits.Credited] < len(lines) || len(lines) == 0 {
		return exitWith(exitIncomplete)
	}
	return nil
}

// openCancellations opens the run report whose cancellations are checked,
// refusing what cannot be the evidence: a plan (it cancelled nothing) and
// a report changed since it was written (its quantities and amounts would
// be believed). An unsealed report, written before reports were sealed,
// is read with a warning.
func (a *app) openCancellations(path string, key []byte, log *slog.Logger) (*report.Prior, error) {
	p, err := report.Open(path)
	if err != nil {
		return nil, err
	}
	if p.Mode() == record.Plan {
		p.Close()
		return nil, usage(path+" is a plan: it cancelled nothing", "give the report of the run that executed it")
	}
	sealed, err := p.CheckSeal(key, "check")
	if err != nil {
		p.Close()
		return nil, err
	}
	if !sealed {
		log.Warn("the report has no seal (an earlier version wrote it): its lines cannot be checked against what the run wrote", "report", path)
	}
	return p, nil
}

// laterLink says, when the run ledger knows a later run that continued the
// report's chain, which report to check instead: a resume's report carries
// the cancellations of the runs before it, an earlier link's does not
// carry those that came after.
func (a *app) laterLink(cfg *config.Config, p *report.Prior) string {
	path, err := a.ledgerPath(cfg)
	if err != nil {
		return ""
	}
	led, err := a.readLedger(path)
	if err != nil {
		return ""
	}
	link := resume.Link{Chain: p.ChainID(), Run: p.RunID(), Mode: record.Run, Report: p.Path, Written: true}
	head := resume.Head(link, led)
	switch {
	case head.Run == link.Run:
		return ""
	case !head.Written:
		return fmt.Sprintf("run %s continued this chain and did not finish: resume it from %s, then check the report it writes, which carries every cancellation of the chain", head.Run, head.From())
	default:
		return fmt.Sprintf("run %s continued this chain: its report %s carries these cancellations and the later ones; check that report to see every credit the chain is owed", head.Run, head.Report)
	}
}

// writeCreditsSummary prints what came back: per currency, what was
// cancelled and credited; lines per credit status.
func writeCreditsSummary(w io.Writer, p *report.Prior, files []*credits.File, t creditbook.CreditTotals, lines int, path string) {
	if p.Endpoint() == record.SandboxEndpoint {
		fmt.Fprintln(w, "pcreconcile credits: SANDBOX (built-in simulator) — not real money")
	} else {
		fmt.Fprintln(w, "pcreconcile credits")
	}
	fmt.Fprintf(w, "Report:   %s (run %s): %s cancelled\n", p.Path, p.RunID(), plural(lines, "line"))
	for _, f := range files {
		fmt.Fprintf(w, "Checked:  %s (%s, %s)\n", f.Path, plural(f.Rows, "row"), plural(f.Credits, "credit row"))
	}
	fmt.Fprintf(w, "Workbook: %s\n", path)
	fmt.Fprintf(w, "Result:   %s\n\n", t.Result())
	// Amounts right-aligned, as a finance reader compares them.
	rows := [][]string{{"Currency", "Cancelled", "Credited", "Difference"}}
	for _, cur := range slices.Sorted(maps.Keys(t.Expected)) {
		rows = append(rows, []string{cur, report.FormatMoney(t.Expected[cur]), report.FormatMoney(t.Credited[cur]), report.FormatMoney(t.Expected[cur].Sub(t.Credited[cur]))})
	}
	width := make([]int, 4)
	for _, r := range rows {
		for i, v := range r {
			width[i] = max(width[i], utf8.RuneCountInString(v))
		}
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s  %*s  %*s  %*s\n", width[0], r[0], width[1], r[1], width[2], r[2], width[3], r[3])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range credits.Statuses {
		if n := t.ByStatus[s]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\n", s, n)
		}
	}
	tw.Flush()
	if n := t.ByStatus[credits.UnexpectedCredit]; n > 0 {
		var amounts []string
		for _, cur := range slices.Sorted(maps.Keys(t.Unexpected)) {
			amounts = append(amounts, cmp.Or(cur, "no currency")+" "+report.FormatMoney(t.Unexpected[cur]))
		}
		fmt.Fprintf(w, "\nCredited for no line this chain cancelled: %s on %s (the Unmatched Credits sheet).\n", strings.Join(amounts, ", "), plural(n, "row"))
	}
	if t.ByStatus[credits.Credited] < lines {
		fmt.Fprintln(w, "\nNot every line is credited in full: the Lines sheet's Note says why for each (a software")
		fmt.Fprintln(w, "subscription's credit is prorated, so credited_partly is expected for one).")
	}
}
