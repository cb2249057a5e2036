package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/report"
	"github.com/pcreconcile/pcreconcile/samples"
)

// aad is a fake Azure AD token endpoint.
type aad struct {
	*httptest.Server
	mu     sync.Mutex
	forms  []map[string]string
	secret string
	rotate bool
	issued atomic.Int64
}

func newAAD(t *testing.T, secret string) *aad {
	a := &aad{secret: secret}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		a.mu.Lock()
		a.forms = append(a.forms, form)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if form["client_secret"] != a.secret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
			return
		}
		n := a.issued.Add(1)
		resp := map[string]any{"access_token": fmt.Sprintf("aad-access-token-%d", n), "token_type": "Bearer", "expires_in": 3600}
		if a.rotate {
			resp["refresh_token"] = fmt.Sprintf("rotated-refresh-token-%d", n)
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *aad) form(i int) map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.forms[i]
}

// api serves the sandbox as a real endpoint that accepts tokens by rule.
type api struct {
	*httptest.Server
	sb     *sandbox.Server
	mu     sync.Mutex
	tokens []string
}

func newAPI(t *testing.T, accept func(token string, n int) bool, onRequest func()) *api {
	a := &api{}
	st, _ := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	var n atomic.Int64
	a.sb, _ = sandbox.New(st, sandbox.Options{Authorize: func(tok string) bool { return accept(tok, int(n.Load())) }})
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		a.mu.Lock()
		a.tokens = append(a.tokens, r.Header.Get("Authorization"))
		a.mu.Unlock()
		if onRequest != nil {
			onRequest()
		}
		a.sb.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func (c *cli) appConfig(apiURL, tokenURL, extra string) {
	c.config = c.writeConfig(fmt.Sprintf(`partner_center:
  base_url: %s
auth:
  mode: app
  tenant_id: contoso-partner.onmicrosoft.com
  client_id: 0a1b2c3d-1111-2222-3333-444455556666
  token_url: %s
%s
run:
  requests_per_minute: 60000
`, apiURL, tokenURL, extra))
}

// TestAppAuthEndToEnd runs the sample with app-only authentication: one
// token for the whole run, sent on every request, the secret and the token
// nowhere in the output, the logs, the journal or the report.
func TestAppAuthEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "Zq8~s3cr3t.VALUE-never-print"
	c := newCLI(t)
	idp := newAAD(t, secret)
	rep := c.path("r.xlsx")
	var journals bytes.Buffer
	var mu sync.Mutex
	a := newAPI(t, func(tok string, _ int) bool { return tok == "aad-access-token-1" }, func() {
		// Snapshot the journal while the run writes it.
		if b, err := os.ReadFile(rep + ".journal"); err == nil {
			mu.Lock()
			journals.Write(b)
			mu.Unlock()
		}
	})
	c.appConfig(a.URL, idp.URL+"/contoso-partner.onmicrosoft.com/oauth2/token", "")
	c.env["PC_CLIENT_SECRET"] = secret
	res := c.runCfg("run", sampleCSV, "--yes", "-v", "--log-format", "json", "--report", rep)
	if res.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if idp.issued.Load() != 1 {
		t.Errorf("%d tokens fetched for one run, want 1 (reused)", idp.issued.Load())
	}
	f := idp.form(0)
	if f["grant_type"] != "client_credentials" || f["client_id"] != "0a1b2c3d-1111-2222-3333-444455556666" || f["resource"] != "https://api.partnercenter.microsoft.com" {
		t.Errorf("token request = %v", f)
	}
	for _, tok := range a.tokens {
		if tok != "Bearer aad-access-token-1" {
			t.Fatalf("a request carried %q", tok)
		}
	}
	if journals.Len() == 0 {
		t.Fatal("no journal snapshot taken")
	}
	everything := res.stdout + res.stderr + journals.String() + workbookText(t, rep)
	for _, leak := range []string{secret, "aad-access-token"} {
		if strings.Contains(everything, leak) {
			t.Errorf("%q appears in the output, logs, journal or report", leak)
		}
	}
	if !strings.Contains(res.stderr, `"msg":"request"`) {
		t.Error("the verbose run logged no requests; the leak check would prove nothing")
	}
	prior, _ := report.Open(rep)
	defer prior.Close()
	if prior.Meta[report.LabelIdentity] != "app 0a1b2c3d-1111-2222-3333-444455556666" || prior.Meta[report.LabelTenant] != "contoso-partner.onmicrosoft.com" || prior.Meta[report.LabelEndpoint] != a.URL {
		t.Errorf("Summary: %v", prior.Meta)
	}
}

// workbookText is every string in the workbook's XML.
func workbookText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return unzipAll(t, b)
}

// A 401 in the middle of a run (the token was revoked) fetches a new token
// once and the run goes on.
func TestUnauthorizedMidRunRefreshes(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	idp := newAAD(t, "s")
	// After the 8th request the first token stops working.
	a := newAPI(t, func(tok string, n int) bool {
		return tok == "aad-access-token-2" || (tok == "aad-access-token-1" && n <= 8)
	}, nil)
	c.appConfig(a.URL, idp.URL+"/t/oauth2/token", "")
	c.env["PC_CLIENT_SECRET"] = "s"
	res := c.runCfg("run", sampleCSV, "--yes", "--concurrency", "1", "--report", c.path("r.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if idp.issued.Load() != 2 {
		t.Errorf("%d tokens fetched, want 2 (one refresh after the 401)", idp.issued.Load())
	}
	got := readLines(t, c.path("r.xlsx"))
	for k, w := range sampleWant {
		if got[k] != w {
			t.Errorf("line %s = %q, want %q", k, got[k], w)
		}
	}
}

// Partner Center refusing every token aborts after three orders, with the
// report written and the rest pending.
func TestRevokedAppAbortsWithReport(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	idp := newAAD(t, "s")
	a := newAPI(t, func(string, int) bool { return false }, nil)
	c.appConfig(a.URL, idp.URL+"/t/oauth2/token", "")
	c.env["PC_CLIENT_SECRET"] = "s"
	res := c.runCfg("run", sampleCSV, "--yes", "--concurrency", "1", "--report", c.path("r.xlsx"))
	if res.code != exitAborted || !strings.Contains(res.stderr, "authentication keeps failing") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	got := readLines(t, c.path("r.xlsx"))
	var failed, pending int
	for _, v := range got {
		switch {
		case strings.HasPrefix(v, "failed"):
			failed++
		case strings.HasPrefix(v, "pending"):
			pending++
		}
	}
	if failed != 3 || pending < 8 {
		t.Errorf("failed %d, pending %d: %v", failed, pending, got)
	}
	if len(a.tokens) != 6 {
		t.Errorf("%d requests, want 6 (3 orders, each a 401 and one retry with a new token)", len(a.tokens))
	}
}

func jwtFor(exp time.Time) string {
	payload, _ := json.Marshal(map[string]any{"aud": "https://api.partnercenter.microsoft.com", "appid": "x", "exp": exp.Unix()})
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
}

func TestStaticTokenMode(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	a := newAPI(t, func(tok string, _ int) bool { return true }, nil)
	c.config = c.writeConfig(fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  mode: token\n  token_env: MY_TOKEN\nrun:\n  requests_per_minute: 60000\n", a.URL))

	c.env["MY_TOKEN"] = jwtFor(time.Now().Add(-time.Hour))
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("r.xlsx"))
	if res.code != exitAborted || !strings.Contains(res.stderr, "the access token expired at") || !strings.Contains(res.stderr, "az account get-access-token") || len(a.tokens) != 0 {
		t.Errorf("expired token: exit %d, %d requests\n%s", res.code, len(a.tokens), res.stderr)
	}
	if strings.Contains(res.stderr, c.env["MY_TOKEN"]) {
		t.Error("the token was printed")
	}

	delete(c.env, "MY_TOKEN")
	if res := c.runCfg("run", sampleCSV, "--yes"); res.code != exitUsage || !strings.Contains(res.stderr, "environment variable MY_TOKEN is empty") {
		t.Errorf("missing token: exit %d\n%s", res.code, res.stderr)
	}

	valid := jwtFor(time.Now().Add(time.Hour))
	c.env["MY_TOKEN"] = valid
	if res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("ok.xlsx")); res.code != exitIncomplete || a.tokens[0] != "Bearer "+valid {
		t.Errorf("valid token: exit %d\n%s", res.code, res.stderr)
	}
}

func TestRefreshTokenMode(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	idp := newAAD(t, "s")
	idp.rotate = true
	a := newAPI(t, func(tok string, _ int) bool { return strings.HasPrefix(tok, "aad-access-token-") }, nil)
	store := c.path("rt.txt")
	c.config = c.writeConfig(fmt.Sprintf(`partner_center:
  base_url: %s
auth:
  mode: refresh_token
  tenant_id: t
  client_id: app
  token_url: %s/t/oauth2/token
  refresh_token_file: %s
run:
  requests_per_minute: 60000
`, a.URL, idp.URL, store))
	c.env["PC_CLIENT_SECRET"] = "s"
	c.env["PC_REFRESH_TOKEN"] = "original-refresh-token"
	res := c.runCfg("run", sampleCSV, "--yes", "--report", c.path("r.xlsx"))
	if res.code != exitIncomplete {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	f := idp.form(0)
	if f["grant_type"] != "refresh_token" || f["refresh_token"] != "original-refresh-token" || f["resource"] != "https://api.partnercenter.microsoft.com" || f["client_secret"] != "s" {
		t.Errorf("token request = %v", f)
	}
	b, err := os.ReadFile(store)
	if err != nil || strings.TrimSpace(string(b)) != "rotated-refresh-token-1" {
		t.Errorf("stored refresh token = %q, %v", b, err)
	}
	if fi, _ := os.Stat(store); fi.Mode().Perm() != 0o600 {
		t.Errorf("refresh token file mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(res.stderr, "stored the rotated refresh token") || strings.Contains(res.stderr, "rotated-refresh-token-1") || strings.Contains(res.stderr, "original-refresh-token") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}

func TestPlainHTTPAuthEndpointsRefused(t *testing.T) {
	t.Parallel()
	for _, yaml := range []string{
		"auth:\n  authority: http://login.microsoftonline.com\n",
		"auth:\n  token_url: http://login.example.com/t/oauth2/token\n",
		"partner_center:\n  base_url: http://api.partnercenter.microsoft.com\n",
	} {
		c := newCLI(t)
		c.config = c.writeConfig(yaml)
		if res := c.runCfg("check", sampleCSV); res.code != exitUsage || !strings.Contains(res.stderr, "refusing plain http://") || !strings.Contains(res.stderr, "line 2") {
			t.Errorf("%q: exit %d\n%s", yaml, res.code, res.stderr)
		}
	}
}

// unzipAll concatenates every file of a zip archive (an XLSX).
func unzipAll(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&sb, rc)
		rc.Close()
	}
	return sb.String()
}

// Partner Center's 401 with code 900421 (App+User without MFA) is
// explained where it is seen — the lines' Error Message and the abort — with
// the way out: app-only mode, which cancellation supports.
func TestMFARequiredIsExplained(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"code": 900421, "description": "Multi-factor authentication is required.", "data": [], "source": "PartnerFD"}`))
	}))
	t.Cleanup(srv.Close)
	c.config = c.writeConfig(fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  mode: token\nrun:\n  requests_per_minute: 60000\n", srv.URL))
	c.env["PC_ACCESS_TOKEN"] = "opaque-user-token"
	res := c.runCfg("run", sampleCSV, "--yes", "--concurrency", "1", "--report", c.path("r.xlsx"))
	if res.code != exitAborted {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"code 900421", "multi-factor authentication", "auth.mode: app", "hint: switch to app-only mode"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	p, err := report.Open(c.path("r.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	explained := 0
	p.Lines(func(l record.LineResult) error {
		if l.Status == record.Failed && strings.Contains(l.ErrorMessage, "cancelling software purchases supports app-only calls") {
			explained++
		}
		return nil
	})
	if explained == 0 {
		t.Error("no failed line explains the 900421")
	}
}
