package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/internal/atomicfile"
	"github.com/pcreconcile/pcreconcile/internal/safeurl"
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

pcreconcile sandbox recon --out FILE.csv writes the reconciliation file of
what the sandbox sold and cancelled, for pcreconcile credits.
Faults are decided from --seed and each request, so a failing run replays.

Flags:
`

func (a *app) cmdSandbox(ctx context.Context, args []string) error {
	// "sandbox recon", its flags before or after the word.
	if i := slices.Index(args, "recon"); i >= 0 && (i == 0 || !isValueFlag(args[i-1])) {
		return a.cmdSandboxRecon(slices.Delete(slices.Clone(args), i, i+1))
	}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(a.stdout) // --help is read with less, or piped
	configPath := fs.String("config", "", "config `FILE` (sandbox.* keys; default pcreconcile.yaml if present)")
	addr := fs.String("addr", "127.0.0.1:8089", "listen on `HOST:PORT` (127.0.0.1:0 for any free port)")
	state := fs.String("state", "", "state `FILE` (default sandbox.state, or the user cache directory)")
	reset := fs.Bool("reset", false, "start again from the seed (samples/sandbox.json)")
	var latency, retryAfter, pendingDelay config.DurationFlag
	var seed, burst config.Int
	var e500, e503, busy, drop, pending, throttle, throttleCust config.Float
	fs.Var(&latency, "latency", "delay every answer by `DURATION`, e.g. 200ms (default sandbox.latency, none)")
	fs.Var(&seed, "seed", "fault `SEED`: the same seed and sheet replay the same faults (default sandbox.faults.seed, 0)")
	fs.Var(&e500, "error-500", "`RATE` of 500 answers, 0–1 (default none)")
	fs.Var(&e503, "error-503", "`RATE` of 503 answers, 0–1 (default none)")
	fs.Var(&busy, "busy", "`RATE` of 409 order-busy answers, 0–1 (default none)")
	fs.Var(&drop, "drop", "`RATE` of PATCHes applied and then answered by a dropped connection, 0–1 (default none)")
	fs.Var(&pending, "pending", "`RATE` of PATCHes accepted as pending (200, lines unchanged) and carried out --pending-delay later, 0–1 (default none)")
	fs.Var(&pendingDelay, "pending-delay", "how long a pending cancellation takes to land, as a `DURATION` (default sandbox.faults.pending_delay, none)")
	fs.Var(&throttle, "throttle", "partner-wide limit in `N` requests per minute; 0 for none (default 500)")
	fs.Var(&throttleCust, "throttle-customer", "per-customer limit in `N` requests per minute (default none)")
	fs.Var(&burst, "throttle-burst", "throttle bucket `SIZE` (default a tenth of a minute's requests)")
	fs.Var(&retryAfter, "throttle-retry-after", "answer 429s with this Retry-After `DURATION` instead of the computed one")
	fs.Usage = func() { fmt.Fprint(fs.Output(), sandboxHelp); printFlags(fs) }
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
	if *state != "" {
		cfg.Sandbox.State = *state
	}
	if latency.Given {
		cfg.Sandbox.Latency = config.Duration(latency.Value)
	}
	f := &cfg.Sandbox.Faults
	if seed.Given {
		f.Seed = int64(seed.Value)
	}
	for _, r := range []struct {
		flag *config.Float
		cfg  *float64
	}{{&e500, &f.Error500}, {&e503, &f.Error503}, {&busy, &f.Busy}, {&drop, &f.Drop}, {&pending, &f.Pending}, {&throttleCust, &f.ThrottleCustomerPerMinute}} {
		if r.flag.Given {
			*r.cfg = r.flag.Value
		}
	}
	if pendingDelay.Given {
		f.PendingDelay = config.Duration(pendingDelay.Value)
	}
	if throttle.Given {
		f.ThrottleRequestsPerMinute = &throttle.Value
	}
	if burst.Given {
		f.ThrottleBurst = burst.Value
	}
	if retryAfter.Given {
		d := config.Duration(retryAfter.Value)
		f.ThrottleRetryAfterOverride = &d
	}
	if err := sandboxFaults(cfg).Validate(); err != nil {
		return usage(err.Error(), "")
	}
	a.expect("stopping the sandbox", nil)
	log, _ := newLogger(a.stderr, "text", false, false)
	path := cfg.StatePath()
	if *reset {
		if url := sandbox.Serving(path); url != "" {
			return usage("a sandbox is serving this state at "+url+": resetting it under that server would be undone by its next write",
				"stop that pcreconcile sandbox (Ctrl-C), then reset; or start it again with --reset")
		}
	}
	srv, err := newSandbox(cfg, path, *reset)
	if err != nil {
		return err // a corrupt state says how to reset it
	}
	addrGiven := false
	fs.Visit(func(fl *flag.Flag) { addrGiven = addrGiven || fl.Name == "addr" })
	if *reset && !addrGiven {
		log.Info("sandbox state reset to the seed", "state", path)
		return nil
	}
	if host, _, err := net.SplitHostPort(*addr); err == nil && !safeurl.IsLoopback(host) {
		log.Warn("the sandbox is reachable from other machines; it has no real authentication", "addr", *addr)
	}
	l, err := sandbox.Listen(*addr, srv)
	if err != nil {
		return usage(fmt.Sprintf("cannot listen on %s: %v", *addr, err), "choose another --addr, e.g. 127.0.0.1:0 for any free port")
	}
	done := sandbox.MarkServing(path, l.URL)
	defer done()
	log.Info("Partner Center sandbox listening", "url", l.URL, "state", path,
		"latency", time.Duration(cfg.Sandbox.Latency), "throttle_per_minute", sandboxFaults(cfg).Throttle.RequestsPerMinute)
	if err := l.Wait(ctx); err != nil {
		return &exitError{code: exitAborted, err: err}
	}
	st := srv.Stats()
	log.Info("sandbox stopped", "requests", st.Requests, "patches", st.Patches, "throttled", st.Throttled)
	return nil
}

const sandboxReconHelp = `Usage: pcreconcile sandbox recon --out FILE.csv

Writes the reconciliation file Partner Center's billing would send for what
the sandbox sold and cancelled, in the columns of the new-commerce invoice
reconciliation file: a purchase row (New) for each priced line and, for each
cancelled line, its credit — the whole price for perpetual software (Cancel),
the days of its term left for a software subscription (cancelImmediate).
As in life, a few are not what they should be: of the cancelled lines the
second gets no credit and the third one unit short, and an order nobody
cancelled gets a credit. Check it with
  pcreconcile credits REPORT FILE.csv

Flags:
`

// isValueFlag reports whether arg is a flag that takes the next argument
// as its value (so that "--state recon" names a file called recon).
func isValueFlag(arg string) bool {
	switch strings.TrimLeft(arg, "-") {
	case "config", "state", "out", "addr", "latency", "seed":
		return true
	}
	return false
}

// cmdSandboxRecon writes the sandbox's reconciliation file.
func (a *app) cmdSandboxRecon(args []string) error {
	fs := flag.NewFlagSet("sandbox recon", flag.ContinueOnError)
	fs.SetOutput(a.stdout)
	configPath := fs.String("config", "", "config `FILE` (sandbox.* keys; default pcreconcile.yaml if present)")
	state := fs.String("state", "", "state `FILE` (default sandbox.state, or the user cache directory)")
	out := fs.String("out", "", "write the reconciliation file to `FILE`.csv")
	force := fs.Bool("force", false, "replace an existing FILE")
	fs.Usage = func() { fmt.Fprint(fs.Output(), sandboxReconHelp); printFlags(fs) }
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usage("sandbox recon takes no arguments, got "+pos[0], "pcreconcile sandbox recon --out recon.csv")
	case *out == "":
		return usage("sandbox recon needs --out FILE.csv", "pcreconcile sandbox recon --out recon.csv")
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *state != "" {
		cfg.Sandbox.State = *state
	}
	srv, err := newSandbox(cfg, cfg.StatePath(), false)
	if err != nil {
		return err
	}
	write := atomicfile.Create
	if *force {
		write = atomicfile.Write
	}
	if err := write(*out, 0o644, func(w io.Writer) error { return srv.Recon(w) }); err != nil {
		if errors.Is(err, os.ErrExist) {
			return usage(*out+" exists", "choose another --out, or add --force to replace it")
		}
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", *out)
	return nil
}
