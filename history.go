package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/pcreconcile/pcreconcile/batch/plan"
)

const historyHelp = `Usage: pcreconcile history [flags]

Prints the run ledger: every run and plan — when, who, how it ended, what
that run cancelled itself (never a chain's running total, so the amounts
add up), what it left to retry, and which chain and link it is. The ledger
is history.path in the config, or pcreconcile/history.csv in your user
config directory; ledgers of earlier versions (pcreconcile-history.csv in
the working directory) are read too.

A run that started and never recorded its end (killed, or its report could
not be written) shows "started"; what it cancelled is counted by the run
that continued it.

Examples:
  pcreconcile history
  pcreconcile history --input cancellations.xlsx

Flags:
`

func (a *app) cmdHistory(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(a.stdout)
	configPath := fs.String("config", "", "config `FILE` (history.path; default pcreconcile.yaml if present)")
	input := fs.String("input", "", "only the runs of this input `FILE` (matched by its SHA-256)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), historyHelp); printFlags(fs) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage("history takes no arguments, got "+pos[0], "to see the runs of one input: pcreconcile history --input "+quoteArg(pos[0]))
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	path, err := a.ledgerPath(cfg)
	if err != nil {
		return err
	}
	led, err := a.readLedger(path, ".")
	if err != nil {
		return err
	}
	sha := ""
	if *input != "" {
		if sha, err = plan.FileSHA256(*input); err != nil {
			return usage("cannot read "+*input+": "+err.Error(), "")
		}
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "When (UTC)\tWho\tMode\tResult\tLines\tQuantity\tAmount\tLeft\tChain\tRun\tParent\tReport\tInput")
	n := 0
	for _, e := range led.Runs() {
		if sha != "" && e.InputSHA256 != sha {
			continue
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.When.UTC().Format("2006-01-02 15:04"), e.Who, e.Mode, e.Result,
			e.LinesCancelled, e.QuantityCancelled, dash(e.AmountCancelled), e.LinesLeft, e.ChainID, e.RunID, dash(e.ParentRunID), e.Report, filepath.Base(e.Input))
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintf(a.stdout, "(no runs in %s)\n", path)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
