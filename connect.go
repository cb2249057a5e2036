package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/report/atomicfile"
	"github.com/pcreconcile/pcreconcile/samples"
)

// endpoint is where the orders are: a Partner Center client and what the
// report says about it.
type endpoint struct {
	client   *pcclient.Client
	name     string // URL, or report.SandboxEndpoint
	sandbox  bool
	state    string // sandbox state file
	tenant   string
	identity string
	close    func()
}

// describe says where the run goes and as whom, from the config alone.
func (j *job) describe() *endpoint {
	cfg := j.cfg
	if cfg.sandbox() {
		return &endpoint{name: report.SandboxEndpoint, sandbox: true, state: sandboxState(cfg), identity: "sandbox", close: func() {}}
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
		pcclient.WithRetry(pcclient.RetryPolicy{MaxAttempts: cfg.Run.MaxAttempts}),
		pcclient.WithLogger(j.log),
		pcclient.WithUserAgent("pcreconcile/" + mustVersion()),
	}
	if ep.sandbox {
		return j.connectSandbox(ep, hc, opts)
	}
	ts, err := j.tokenSource(hc)
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

// sandboxState is where the sandbox keeps its state between runs:
// sandbox.state, or the user's cache directory.
func sandboxState(cfg *config) string {
	if cfg.Sandbox.State != "" {
		return cfg.Sandbox.State
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "pcreconcile", "sandbox-state.json")
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

// newSandbox loads the sandbox state (or the embedded seed) with the
// configured latency and faults.
func newSandbox(cfg *config, statePath string, reset bool) (*sandbox.Server, error) {
	st, err := sandbox.LoadState(statePath, samples.SandboxSeed, reset)
	if err != nil {
		return nil, err
	}
	if reset {
		if err := st.Save(statePath); err != nil {
			return nil, err
		}
	}
	return sandbox.New(st, sandbox.Options{
		Latency:   time.Duration(cfg.Sandbox.Latency),
		Faults:    cfg.faults(),
		StatePath: statePath,
	})
}

// tokenSource builds the configured authentication. Secrets come only from
// the environment variables the config names.
func (j *job) tokenSource(hc *http.Client) (oauth2.TokenSource, error) {
	a := j.cfg.Auth
	env := func(name, what string) (pcclient.Secret, error) {
		v := j.getenv(name)
		if v == "" {
			return "", &configError{path: j.cfg.path, msg: fmt.Sprintf("the environment variable %s is empty; it must hold %s", name, what),
				hint: fmt.Sprintf("export %s=… (the config names the variable in auth; the value never goes in a file)", name)}
		}
		return pcclient.Secret(v), nil
	}
	need := func(key, v string) error {
		if v == "" {
			return j.cfg.errorf(key, "see \"Connecting to Partner Center\" in the README", "is required for auth.mode %s", a.Mode)
		}
		return nil
	}
	tokenHTTP := &http.Client{Timeout: time.Duration(j.cfg.PartnerCenter.Timeout), CheckRedirect: pcclient.SameHostRedirects}
	if a.Mode == "token" {
		tok, err := env(a.TokenEnv, "a Partner Center access token")
		if err != nil {
			return nil, err
		}
		ts, err := pcclient.StaticTokenSource(tok, j.now(), 5*time.Minute)
		if err != nil {
			return nil, authFailure(err)
		}
		return ts, nil
	}
	// app and refresh_token: the app's own credentials first.
	if err := errors.Join(need("auth.tenant_id", a.TenantID), need("auth.client_id", a.ClientID)); err != nil {
		return nil, err
	}
	secret, err := env(a.ClientSecretEnv, "the app's client secret")
	if err != nil {
		return nil, err
	}
	var src oauth2.TokenSource
	if a.Mode == "refresh_token" {
		rt, err := env(a.RefreshTokenEnv, "a refresh token from the Secure Application Model consent")
		if err != nil {
			return nil, err
		}
		src = pcclient.RefreshTokenSource(pcclient.RefreshCredentials{
			TokenURL: j.cfg.tokenURL(), ClientID: a.ClientID, ClientSecret: secret, RefreshToken: rt,
			Resource: a.Resource, HTTPClient: tokenHTTP, Rotated: j.rotated,
		})
	} else {
		src = pcclient.AppTokenSource(pcclient.AppCredentials{
			TokenURL: j.cfg.tokenURL(), ClientID: a.ClientID, ClientSecret: secret,
			Resource: a.Resource, HTTPClient: tokenHTTP,
		})
	}
	return pcclient.NewTokenCache(src, nil, 5*time.Minute), nil
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
