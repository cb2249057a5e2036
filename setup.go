package main

import (
	"time"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// loadConfig reads the config (config.Load) and checks the keys whose
// meaning belongs to other packages — input.columns (the sheet's fields)
// and sandbox.faults (the simulator's) — so that every mistake in the file
// names its line before anything else happens.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if _, err := plan.NewHeaders(cfg.Input.Columns); err != nil {
		return nil, cfg.Errorf("input.columns", "", "%v", err)
	}
	if err := sandboxFaults(cfg).Validate(); err != nil {
		return nil, cfg.Errorf("sandbox.faults", "", "%v", err)
	}
	return cfg, nil
}

// readOptions says how to read an input under cfg; extras keeps the extra
// columns (the report needs them, check does not).
func readOptions(cfg *config.Config, extras bool) (plan.ReadOptions, error) {
	headers, err := plan.NewHeaders(cfg.Input.Columns)
	if err != nil {
		return plan.ReadOptions{}, cfg.Errorf("input.columns", "", "%v", err)
	}
	delim, err := config.ParseDelimiter(cfg.Input.Delimiter)
	if err != nil {
		return plan.ReadOptions{}, cfg.Errorf("input.delimiter", "", "%v", err)
	}
	return plan.ReadOptions{Headers: headers, Sheet: cfg.Input.Sheet, Delimiter: delim, Extras: extras}, nil
}

// sandboxFaults turns sandbox.faults into the simulator's settings.
func sandboxFaults(cfg *config.Config) sandbox.Faults {
	f := cfg.Sandbox.Faults
	out := sandbox.Faults{Seed: f.Seed, Error500: f.Error500, Error503: f.Error503, Busy: f.Busy, Drop: f.Drop,
		Pending: f.Pending, PendingDelay: time.Duration(f.PendingDelay), Throttle: sandbox.DefaultThrottle}
	if f.ThrottleRequestsPerMinute != nil {
		out.Throttle.RequestsPerMinute = *f.ThrottleRequestsPerMinute
	}
	out.Throttle.CustomerRequestsPerMinute = f.ThrottleCustomerPerMinute
	out.Throttle.Burst = f.ThrottleBurst
	if f.ThrottleRetryAfterOverride != nil {
		d := time.Duration(*f.ThrottleRetryAfterOverride)
		out.Throttle.RetryAfter = &d
	}
	return out
}
