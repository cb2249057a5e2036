package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

const sandboxHelp = `Usage: pcreconcile sandbox [flags]

Serves the built-in Partner Center simulator over HTTP: the orders of
samples/sandbox.json (customers, orders, line items with cancellation
windows), the documented error codes, per-MS-RequestId idempotency, a
500-requests-per-minute throttle answering 429 with Retry-After, and faults
on demand. Its state is kept between runs (sandbox.state in the config, or
the user cache directory).

Point pcreconcile at it with a config such as
  partner_center: {base_url: "http://127.0.0.1:8089"}
  auth: {mode: token}
and any non-empty PC_ACCESS_TOKEN; or curl it:
  curl -H "Authorization: Bearer x" \
    http://127.0.0.1:8089/v1/customers/4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57/orders/Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0
  curl http://127.0.0.1:8089/sandbox/stats

--reset puts the state back to the seed and exits (with --addr it then serves).
Faults are decided from --seed and each request, so a failing run replays.

Flags:
`

func (a *app) cmdSandbox(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	configPath := fs.String("config", "", "config `FILE` (sandbox.* keys; default pcreconcile.yaml if present)")
	addr := fs.String("addr", "127.0.0.1:8089", "listen `address`")
	state := fs.String("state", "", "state `FILE` (default sandbox.state, or the user cache directory)")
	reset := fs.Bool("reset", false, "start again from the seed (samples/sandbox.json)")
	latency := fs.Duration("latency", -1, "delay every answer by `D`, e.g. 200ms")
	seed := fs.Int64("seed", 0, "fault seed")
	e500 := fs.Float64("error-500", -1, "`rate` of 500 answers (0–1)")
	e503 := fs.Float64("error-503", -1, "`rate` of 503 answers (0–1)")
	busy := fs.Float64("busy", -1, "`rate` of 409 order-busy answers (0–1)")
	drop := fs.Float64("drop", -1, "`rate` of PATCHes applied and then answered by a dropped connection (0–1)")
	throttle := fs.Float64("throttle", -1, "partner-wide limit in requests per `minute` (0 = none; default 500)")
	throttleCust := fs.Float64("throttle-customer", -1, "per-customer limit in requests per `minute` (0 = none)")
	burst := fs.Int("throttle-burst", -1, "throttle bucket `size` (default a tenth of a minute's requests)")
	retryAfter := fs.Duration("throttle-retry-after", -1, "answer 429s with this Retry-After instead of the computed one")
	fs.Usage = func() { fmt.Fprint(fs.Output(), sandboxHelp); fs.PrintDefaults() }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage("sandbox takes no arguments, got "+pos[0], "")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["state"] {
		cfg.Sandbox.State = *state
	}
	if set["latency"] {
		cfg.Sandbox.Latency = duration(*latency)
	}
	f := &cfg.Sandbox.Faults
	if set["seed"] {
		f.Seed = *seed
	}
	for name, rate := range map[string]struct{ flag, cfg *float64 }{
		"error-500": {e500, &f.Error500}, "error-503": {e503, &f.Error503}, "busy": {busy, &f.Busy}, "drop": {drop, &f.Drop},
	} {
		if set[name] {
			*rate.cfg = *rate.flag
		}
	}
	if set["throttle"] {
		f.ThrottleRequestsPerMinute = throttle
	}
	if set["throttle-customer"] {
		f.ThrottleCustomerPerMinute = *throttleCust
	}
	if set["throttle-burst"] {
		f.ThrottleBurst = *burst
	}
	if set["throttle-retry-after"] {
		d := duration(*retryAfter)
		f.ThrottleRetryAfterOverride = &d
	}
	if err := cfg.faults().Validate(); err != nil {
		return usage(err.Error(), "")
	}
	log, _ := newLogger(a.stderr, "text", false, false)
	path := sandboxState(cfg)
	srv, err := newSandbox(cfg, path, *reset)
	if err != nil {
		return err // a corrupt state says how to reset it
	}
	if *reset && !set["addr"] {
		log.Info("sandbox state reset to the seed", "state", path)
		return nil
	}
	if host, _, err := net.SplitHostPort(*addr); err == nil && !pcclient.IsLoopback(host) {
		log.Warn("the sandbox is reachable from other machines; it has no real authentication", "addr", *addr)
	}
	l, err := sandbox.Listen(*addr, srv)
	if err != nil {
		return usage(fmt.Sprintf("cannot listen on %s: %v", *addr, err), "choose another --addr, e.g. 127.0.0.1:0 for any free port")
	}
	log.Info("Partner Center sandbox listening", "url", l.URL, "state", path,
		"latency", time.Duration(cfg.Sandbox.Latency), "throttle_per_minute", cfg.faults().Throttle.RequestsPerMinute)
	if err := l.Wait(ctx); err != nil {
		return &exitError{code: exitAborted, err: err}
	}
	st := srv.Stats()
	log.Info("sandbox stopped", "requests", st.Requests, "patches", st.Patches, "throttled", st.Throttled)
	return nil
}
