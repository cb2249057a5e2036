package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/catalogue"
	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/discover"
	"github.com/pcreconcile/pcreconcile/batch/progress"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/candidatebook"
)

const discoverHelp = `Usage: pcreconcile discover [flags]

Finds what can still be cancelled, by when and for how much. No Partner
Center API lists it: discover reads every customer of the partner (or those
the Customer Tenant ID column of --customers FILE names), each customer's
orders (one-time, monthly and annual billing: GET only, nothing is changed),
and keeps every line still active whose cancellation deadline — its purchase
date plus the window of its product kind: 7 days for a software
subscription, 30 for perpetual software; Azure plans never — is still ahead.

It writes a workbook (--report, default candidates-YYYYMMDD-HHMMSS.xlsx):
Candidates (one row per line, soonest deadline first, with the hours left
and the amount at stake), Customers (per customer and currency), Not read
(customers whose orders could not be read, and why) and a Summary. The
Candidates sheet is an input for plan and run as it is: delete the rows you
want to keep, then

  pcreconcile plan candidates-….xlsx      (review what a run would do)
  pcreconcile run --resume PLAN.xlsx       (do it)

Reads are paced by the configured rate like a run's. Ctrl-C stops at once:
nothing was changed; run discover again.

Exit status: 0 every customer was read, 1 some could not be (see Not read),
2 usage or config error, 3 the customer list could not be read.

Examples:
  pcreconcile discover --report candidates.xlsx
  pcreconcile discover --within 48h --config pcreconcile.yaml
  pcreconcile discover --customers reconciliation-20261121-093000.xlsx

Flags:
`

func (a *app) cmdDiscover(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	fs.SetOutput(a.stdout) // --help is read with less, or piped
	var (
		cfgPath, reportPath, customers, sheetName, delimiter, logFormat, billing string
		within                                                                   config.DurationFlag
		concurrency                                                              config.Int
		rate                                                                     config.Float
		force, quiet, verbose                                                    bool
	)
	fs.StringVar(&cfgPath, "config", "", "config `FILE` (default pcreconcile.yaml if present; none means the sandbox)")
	fs.StringVar(&reportPath, "report", "", "write the workbook to `PATH`.xlsx (default candidates-YYYYMMDD-HHMMSS.xlsx here)")
	fs.BoolVar(&force, "force", false, "replace an existing workbook")
	fs.StringVar(&customers, "customers", "", "read only the customers of the Customer Tenant ID column of `FILE` (CSV or XLSX)")
	fs.StringVar(&sheetName, "sheet", "", "XLSX sheet `NAME` of --customers (default: the first visible sheet)")
	fs.StringVar(&delimiter, "delimiter", "", "CSV delimiter `CHAR` of --customers: auto, \",\", \";\", \"|\" or tab")
	fs.Var(&within, "within", "keep only the lines whose deadline is at most `DURATION` away, e.g. 48h")
	fs.StringVar(&billing, "billing", strings.Join(discover.BillingTypes, ","), "the orders' billing `TYPES` to read, comma-separated")
	fs.Var(&concurrency, "concurrency", "`N` customers read at once, 1–64 (default from config, 8)")
	rate.Unit = "requests per minute"
	fs.Var(&rate, "rate", "`N` requests per minute, retries included (default from config, 500)")
	fs.BoolVar(&quiet, "quiet", false, "no progress and no informational logs; the summary still goes to stdout")
	fs.BoolVar(&verbose, "v", false, "verbose: log every request (never headers, tokens or secrets)")
	fs.StringVar(&logFormat, "log-format", "text", "log format on stderr: `text|json`")
	fs.Usage = func() { fmt.Fprint(fs.Output(), discoverHelp); printFlags(fs) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usage("discover takes no INPUT file, got "+pos[0], "name the customers to read with --customers "+quoteArg(pos[0]))
	case concurrency.Given && (concurrency.Value < 1 || concurrency.Value > 64):
		return usage(fmt.Sprintf("--concurrency %d is out of range 1–64", concurrency.Value), "")
	case rate.Given && rate.Value < 1:
		return usage(fmt.Sprintf("--rate %g: must be at least 1 request per minute", rate.Value), "Partner Center allows 500 a minute for orders")
	case within.Given && within.Value <= 0:
		return usage("--within must be positive, e.g. 48h", "")
	}
	types, err := billingTypes(billing)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	if concurrency.Given {
		cfg.Run.Concurrency = concurrency.Value
	}
	if rate.Given {
		cfg.Run.RequestsPerMinute = rate.Value
	}
	if sheetName != "" {
		cfg.Input.Sheet = sheetName
	}
	if delimiter != "" {
		cfg.Input.Delimiter = delimiter
	}
	log, err := newLogger(a.stderr, logFormat, verbose, quiet)
	if err != nil {
		return usage(err.Error(), "")
	}
	started := a.now()
	if reportPath == "" {
		reportPath = a.defaultPath("candidates-" + started.Format("20060102-150405") + ".xlsx")
	}
	if err := report.CheckPath(reportPath, force); err != nil {
		return err
	}
	var only []discover.Customer
	if customers != "" {
		read, err := readOptions(cfg, false)
		if err != nil {
			return err
		}
		if err := report.NotOneOf(reportPath, customers); err != nil {
			return err
		}
		if only, err = discover.ReadCustomers(customers, read.Headers, sheet.Options{Sheet: read.Sheet, Delimiter: read.Delimiter}); err != nil {
			return err
		}
	}
	j := &job{app: a, cfg: cfg, log: log, started: started}
	ep := j.describe()
	if ep.sandbox {
		log.Warn("reading the built-in SANDBOX: these are not real purchases", "state", ep.state)
	}
	if err := j.connect(ep); err != nil {
		return err
	}
	defer ep.close()
	rules := j.windows()
	res, err := discover.Run(ctx, discover.Options{
		Client:       ep.client,
		Catalogue:    catalogue.New(ep.client, rules, log),
		Customers:    only,
		BillingTypes: types,
		Within:       within.Value,
		Concurrency:  cfg.Run.Concurrency,
		Now:          a.now,
		Progress:     progress.New(a.stderr, a.stderrTTY && !quiet, log, "discover", a.now).Counting("customers"),
		Log:          log,
	})
	if err != nil {
		if ctx.Err() != nil {
			return exitWith(exitInterrupted)
		}
		return &exitError{code: exitAborted, err: err, hint: "check the endpoint and the credentials; discover changes nothing, so it can simply be run again"}
	}
	err = candidatebook.WriteCandidates(candidatebook.CandidatesOptions{
		Path: reportPath, Force: force, Result: res,
		Version: mustVersion(), CommandLine: a.commandLine(), Endpoint: ep.name, Tenant: ep.tenant, RunBy: runBy(),
		Windows: rules, Within: within.Value,
	})
	if errors.Is(err, report.ErrExists) {
		return usage(err.Error(), "choose another --report, or add --force to replace it")
	}
	if err != nil {
		return &exitError{code: exitAborted, err: fmt.Errorf("cannot write %s: %w", reportPath, err), hint: "discover changes nothing: run it again with a --report that can be written"}
	}
	writeDiscoverSummary(a.stdout, res, ep, reportPath)
	if len(res.NotRead) > 0 || res.Incomplete != "" {
		return exitWith(exitIncomplete)
	}
	return nil
}

// billingTypes reads --billing: the enum's values, as Partner Center's
// requests spell them.
func billingTypes(s string) ([]string, error) {
	known := []string{"onetime", "monthly", "annual", "triennial", "none", "unknown"}
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if !slices.Contains(known, t) {
			hint := "the billing types: " + strings.Join(known, ", ")
			if near := config.Nearest(t, known); near != "" {
				hint = fmt.Sprintf("did you mean %s? (%s)", near, hint)
			}
			return nil, usage(fmt.Sprintf("--billing: %q is not a billing type", t), hint)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// writeDiscoverSummary prints what was found: where, how much was read,
// what can still be cancelled and by when, and what to do next.
func writeDiscoverSummary(w io.Writer, res *discover.Result, ep *endpoint, path string) {
	where := ep.name
	if ep.sandbox {
		where = "SANDBOX (built-in simulator) — not real purchases"
	}
	fmt.Fprintf(w, "pcreconcile discover: %s\n", where)
	fmt.Fprintf(w, "Read:     %d customers, %d orders (%s)\n", res.Customers, res.Orders, res.At.Format(time.RFC3339))
	fmt.Fprintf(w, "Report:   %s\n\n", path)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Can still be cancelled\t%s\t\n", plural(len(res.Candidates), "line"))
	totals := map[string]decimal.Decimal{}
	for i := range res.Candidates {
		c := &res.Candidates[i]
		if a := c.Amount(); a.Valid {
			totals[c.Currency] = totals[c.Currency].Add(a.Decimal)
		}
	}
	label := "At stake"
	for _, cur := range slices.Sorted(maps.Keys(totals)) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, cur, report.FormatMoney(totals[cur]))
		label = ""
	}
	if len(res.Candidates) > 0 {
		first := res.Candidates[0]
		fmt.Fprintf(tw, "Soonest deadline\t%s\t%.1f hours left (order %s)\n", first.Until.Format("2006-01-02 15:04 UTC"), first.HoursLeft(res.At), first.Order)
	}
	tw.Flush()
	var left []string
	for _, why := range slices.Sorted(maps.Keys(res.Skipped)) {
		left = append(left, fmt.Sprintf("%s %s", plural(res.Skipped[why], "line"), why))
	}
	if len(left) > 0 {
		fmt.Fprintf(w, "Left out: %s\n", strings.Join(left, "; "))
	}
	if len(res.NotRead) > 0 {
		fmt.Fprintf(w, "\nNot read: %s (the Not read sheet says why)\n", plural(len(res.NotRead), "customer"))
	}
	if res.Incomplete != "" {
		fmt.Fprintf(w, "\nIncomplete: %s\n", res.Incomplete)
	}
	if len(res.Candidates) > 0 {
		fmt.Fprintf(w, "\nReview the Candidates sheet (delete the rows to keep), then:\n  pcreconcile plan %s\n", quoteArg(path))
	}
}
