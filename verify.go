package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/report"
)

const verifyHelp = `Usage: pcreconcile verify [flags] REPORT

Checks that a reconciliation workbook is as pcreconcile wrote it: every
cell the tool owns on the Lines and Orders sheets and the Summary's facts
against the seal the Summary records, and the Customers sheet and the
Summary's totals against what the lines add up to. Re-saving the file in
Excel or LibreOffice, sorting, filtering, hiding rows, adding columns of
your own and filling in the sign-off are not changes.

It names every change it finds — sheet, row, column, the value now and the
value the seal expects — and says whether the run ledger knows the report's
run with the same seal. With report.seal_key_env set the seal is an HMAC
and is checked with that key.

Exit status: 0 as written, 1 changed (or not what the ledger recorded),
2 not a pcreconcile report or not readable.

Flags:
`

func (a *app) cmdVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(a.stdout)
	configPath := fs.String("config", "", "config `FILE` (report.seal_key_env, history.path; default pcreconcile.yaml if present)")
	fs.Usage = func() { fmt.Fprint(fs.Output(), verifyHelp); printFlags(fs) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage("verify needs one REPORT", "pcreconcile verify reconciliation-20261201-093000.xlsx")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	key, err := a.sealKey(cfg)
	if err != nil {
		return err
	}
	v, err := report.Verify(pos[0], key)
	if err != nil {
		return err
	}
	out := a.stdout
	if !v.Sealed {
		fmt.Fprintf(out, "%s: not sealed — written by pcreconcile %s, before reports were sealed: nothing can be checked\n", pos[0], v.Version)
		return exitWith(exitIncomplete)
	}
	if len(v.Changes) > 0 {
		fmt.Fprintf(out, "%s: CHANGED since pcreconcile %s wrote it (run %s, chain %s):\n", pos[0], v.Version, v.RunID, v.ChainID)
		for _, c := range v.Changes {
			fmt.Fprintf(out, "  %s\n", c)
		}
		return exitWith(exitIncomplete)
	}
	fmt.Fprintf(out, "%s: as written by pcreconcile %s on %s (run %s, chain %s)", pos[0], v.Version, v.Finished, v.RunID, v.ChainID)
	if v.Keyed && !v.KeyChecked {
		fmt.Fprint(out, "; sealed with a key this configuration does not have: its rows match, its seal is not checked")
	}
	code := exitOK
	if path, err := a.ledgerPath(cfg); err == nil {
		if led, err := a.readLedger(path); err == nil {
			found := false
			for _, e := range led.Runs() {
				if e.RunID == v.RunID && e.Finished() {
					found = true
					if e.Seal == v.Seal {
						fmt.Fprint(out, "; matches the ledger")
					} else {
						fmt.Fprintf(out, "; does NOT match the ledger, which records seal %s for that run", e.Seal)
						code = exitIncomplete
					}
				}
			}
			if !found {
				fmt.Fprintf(out, "; its run is not in the ledger %s", path)
			}
		}
	}
	fmt.Fprintln(out)
	return exitWith(code)
}

// sealKey is the key named by report.seal_key_env, or nil when none is.
func (a *app) sealKey(cfg *config.Config) ([]byte, error) {
	env := cfg.Report.SealKeyEnv
	if env == "" {
		return nil, nil
	}
	key := a.getenv(env)
	if key == "" {
		return nil, cfg.Errorf("report.seal_key_env", "export "+env+" with the key, or remove report.seal_key_env", "names %s, which is not set", env)
	}
	return []byte(key), nil
}
