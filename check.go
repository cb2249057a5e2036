package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
)

func (a *app) cmdCheck(ctx context.Context, args []string) error {
	// The plan is check's whole live heap; a 70 % GC target keeps a
	// million-row CSV under 300 MB at no cost in time (README, Performance).
	defer a.gcTarget(70)()
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(a.stdout) // --help is read with less, or piped
	configPath := fs.String("config", "", "config `FILE` (default pcreconcile.yaml if present)")
	sheetName := fs.String("sheet", "", "XLSX sheet `NAME` (default: the first visible sheet)")
	delim := fs.String("delimiter", "", "CSV delimiter: auto, \",\", \";\", \"|\" or tab (default from config, auto)")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	// check prints its result and logs nothing: these are accepted so that
	// one set of flags serves every command, and change nothing.
	fs.Bool("quiet", false, "accepted like run's; check prints only its result anyway")
	fs.Bool("v", false, "accepted like run's; check logs nothing")
	fs.String("log-format", "text", "accepted like run's; check logs nothing")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: pcreconcile check [flags] INPUT

Reads INPUT, validates every row and groups the rows into one PATCH per order,
without any network access. Prints what the sheet asks for and every row
problem: the row number you see in Excel or your editor, the column, the value
and the reason, grouped by reason.

Exit status: 0 every row is valid, 1 some rows have problems, 2 the file cannot
be used at all (unreadable, no header row, a required column missing).

Example:
  pcreconcile check cancellations.xlsx --sheet "November"
  pcreconcile check cancellations.csv --format json | jq '.problems[]'

Flags:
`)
		printFlags(fs)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage("check needs exactly one INPUT file", "pcreconcile check cancellations.csv")
	}
	if *format != "text" && *format != "json" {
		return usage(fmt.Sprintf("--format %q: want text or json", *format), "")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *sheetName != "" {
		cfg.Input.Sheet = *sheetName
	}
	if *delim != "" {
		cfg.Input.Delimiter = *delim
	}
	read, err := readOptions(cfg, false)
	if err != nil {
		return err
	}
	p, err := plan.ReadFile(pos[0], read)
	if err != nil {
		return err
	}
	if *format == "json" {
		p.WriteCheckJSON(a.stdout)
	} else {
		endpoint := cfg.PartnerCenter.BaseURL
		if cfg.IsSandbox() {
			endpoint = record.SandboxEndpoint
		}
		p.WriteCheck(a.stdout, a.historyNote(cfg, p.Source.SHA256, endpoint)...)
	}
	if len(p.Invalid()) > 0 {
		return exitWith(exitIncomplete)
	}
	return nil
}

// historyNote says, for check, when the run ledger shows that the input
// with this SHA-256 ran already against endpoint; nil if it did not.
func (a *app) historyNote(cfg *config.Config, sha, endpoint string) []string {
	path, err := a.ledgerPath(cfg)
	if err != nil {
		return nil
	}
	led, err := a.readLedger(path, ".")
	if err != nil {
		return nil
	}
	last, ok := led.LastRun(sha, endpoint, record.Run)
	if !ok {
		return nil
	}
	return []string{fmt.Sprintf("already run on %s against %s → report %s (%s)", last.When.Format("2006-01-02 15:04 MST"), last.Endpoint, last.Report, last.Result)}
}
