package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/batch/config"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/atomicfile"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

// endpoint is where the orders are: a Partner Center client and what the
// report says about it.
type endpoint struct {
	client   *pcclient.Client
	name     string // URL, or record.SandboxEndpoint
	sandbox  bool
	state    string // sandbox state file
	tenant   string
	identity string
	close    func()
}

// describe says where the run goes and as whom, from the config alone.
func (j *job) describe() *endpoint {
	cfg := j.cfg
	if cfg.IsSandbox() {
		return &endpoint{name: record.SandboxEndpoint, sandbox: true, state: cfg.StatePath(), identity: "sandbox", close: func() {}}
	}
	ep := &endpoint{name: cfg.PartnerCenter.BaseURL, tenant: cfg.Auth.TenantID, close: func() {}}
	switch a := cfg.Auth; a.Mode {
	case "token":
		ep.identity = "access token from $" + a.TokenEnv
	case "refresh_token":
		ep.identity = "app " + a.ClientID + " on behalf of the consenting user"
	default:
		ep.identity = "app " + a.ClientID
	}
	return ep
}

// connect builds the client of ep: the in-process sandbox, or Partner
// Center with the configured authentication, whose first token is fetched
// now so that wrong credentials stop the run before any order.
func (j *job) connect(ep *endpoint) error {
	cfg := j.cfg
	// pcclient.New sets the redirect policy that keeps the token on the host.
	hc := &http.Client{
		Timeout:   time.Duration(cfg.PartnerCenter.Timeout),
		Transport: transport(cfg.Run.Concurrency),
	}
	pacer := pcclient.NewPacer(pcclient.PacerOptions{
		RequestsPerMinute:         cfg.Run.RequestsPerMinute,
		CustomerRequestsPerMinute: cfg.Run.CustomerRequestsPerMinute,
	})
	opts := []pcclient.Option{
		pcclient.WithHTTPClient(hc),
		pcclient.WithLimiter(pacer),
		pcclient.WithRetry(pcclient.RetryPolicy{MaxAttempts: cfg.Run.MaxAttempts, MaxRetryAfter: time.Duration(cfg.Run.MaxRetryAfter)}),
		pcclient.WithLogger(j.log),
		pcclient.WithUserAgent("pcreconcile/" + mustVersion()),
	}
	if ep.sandbox {
		return j.connectSandbox(ep, hc, opts)
	}
	ts, err := j.tokenSource()
	if err != nil {
		return err
	}
	tok, err := ts.Token()
	if err != nil {
		return authFailure(err)
	}
	if ep.tenant == "" {
		ep.tenant = pcclient.TokenTenant(tok.AccessToken) // token mode names no tenant
	}
	ep.client, err = pcclient.New(cfg.PartnerCenter.BaseURL, append(opts, pcclient.WithTokenSource(ts))...)
	return err
}

func transport(conc int) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = conc * 2
	return t
}

func (j *job) connectSandbox(ep *endpoint, hc *http.Client, opts []pcclient.Option) error {
	srv, err := newSandbox(j.cfg, ep.state, false)
	if err != nil {
		return err
	}
	l, err := sandbox.Listen("127.0.0.1:0", srv)
	if err != nil {
		return err
	}
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "sandbox"})
	if ep.client, err = pcclient.New(l.URL, append(opts, pcclient.WithTokenSource(ts))...); err != nil {
		l.Close()
		return err
	}
	ep.close = func() {
		hc.CloseIdleConnections()
		l.Close()
	}
	return nil
}

// newSandbox opens the sandbox's state (or the embedded seed) with the
// configured latency and faults.
func newSandbox(cfg *config.Config, statePath string, reset bool) (*sandbox.Server, error) {
	return sandbox.Open(statePath, samples.SandboxSeed, reset, sandbox.Options{
		Latency: time.Duration(cfg.Sandbox.Latency),
		Faults:  sandboxFaults(cfg),
	})
}

// tokenSource builds the configured authentication. Secrets come only from
// the environment variables the config names.
func (j *job) tokenSource() (oauth2.TokenSource, error) {
	a := j.cfg.Auth
	need := func(key string) error {
		return j.cfg.Errorf(key, "see \"Connecting to Partner Center\" in the README", "is required for auth.mode %s", a.Mode)
	}
	switch {
	case a.Mode != "token" && a.TenantID == "":
		return nil, need("auth.tenant_id")
	case a.Mode != "token" && a.ClientID == "":
		return nil, need("auth.client_id")
	}
	ts, err := pcclient.Login{
		Mode: a.Mode, TenantID: a.TenantID, ClientID: a.ClientID,
		TokenURL: j.cfg.TokenURL(), Resource: a.Resource,
		ClientSecretEnv: a.ClientSecretEnv, TokenEnv: a.TokenEnv, RefreshTokenEnv: a.RefreshTokenEnv,
		Getenv:     j.getenv,
		HTTPClient: &http.Client{Timeout: time.Duration(j.cfg.PartnerCenter.Timeout)},
		Now:        j.now(),
		Rotated:    j.rotated,
	}.TokenSource()
	var missing *pcclient.MissingSecretError
	if err != nil && !errors.As(err, &missing) {
		return nil, authFailure(err)
	}
	return ts, err
}

// rotated handles a refresh token Azure AD has replaced: the user is told,
// and it is stored only where auth.refresh_token_file says.
func (j *job) rotated(rt pcclient.Secret) {
	file := j.cfg.Auth.RefreshTokenFile
	if file == "" {
		j.log.Info("Azure AD issued a new refresh token; the one in the environment keeps working until it expires. Set auth.refresh_token_file to keep the new one.", "env", j.cfg.Auth.RefreshTokenEnv)
		return
	}
	if err := atomicfile.Write(file, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, rt.Reveal()+"\n")
		return err
	}); err != nil {
		j.log.Error("cannot store the rotated refresh token", "file", file, "err", err)
		return
	}
	j.log.Info("stored the rotated refresh token", "file", file)
}

// authFailure is an authentication problem found before any order: exit 3
// with the hint the error carries (the Azure AD code's likely fix).
func authFailure(err error) error {
	return &exitError{code: exitAborted, err: fmt.Errorf("authentication failed before any order was sent: %w", err)}
}
