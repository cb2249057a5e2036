package pcclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// tokenServer is a fake Azure AD token endpoint.
type tokenServer struct {
	*httptest.Server
	mu       sync.Mutex
	forms    []url.Values
	secret   string
	expires  int // expires_in seconds
	rotateTo string
}

func newTokenServer(t *testing.T, secret string) *tokenServer {
	ts := &tokenServer{secret: secret, expires: 3600}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		n := len(ts.forms)
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if _, _, ok := r.BasicAuth(); ok {
			t.Errorf("credentials sent in a Basic header; Azure AD wants them in the body")
		}
		if r.PostForm.Get("client_secret") != ts.secret {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}`)
			return
		}
		resp := map[string]any{"access_token": fmt.Sprintf("access-%d", n), "token_type": "Bearer", "expires_in": ts.expires}
		if ts.rotateTo != "" {
			resp["refresh_token"] = fmt.Sprintf("%s-%d", ts.rotateTo, n)
		}
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) Forms() []url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]url.Values(nil), ts.forms...)
}

func TestAppTokenSourceV1SendsResource(t *testing.T) {
	ts := newTokenServer(t, "s3cret")
	src := AppTokenSource(AppCredentials{
		TokenURL: ts.URL + "/tenant/oauth2/token", ClientID: "app-id", ClientSecret: "s3cret",
		Resource: "https://api.partnercenter.microsoft.com",
	})
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "access-1" {
		t.Errorf("token = %q", tok.AccessToken)
	}
	f := ts.Forms()[0]
	for k, want := range map[string]string{
		"grant_type": "client_credentials", "client_id": "app-id", "client_secret": "s3cret",
		"resource": "https://api.partnercenter.microsoft.com", "scope": "",
	} {
		if f.Get(k) != want {
			t.Errorf("form %s = %q, want %q", k, f.Get(k), want)
		}
	}
}

func TestAppTokenSourceV2SendsScope(t *testing.T) {
	ts := newTokenServer(t, "s3cret")
	src := AppTokenSource(AppCredentials{
		TokenURL: ts.URL + "/tenant/oauth2/v2.0/token", ClientID: "app-id", ClientSecret: "s3cret",
		Resource: "https://api.partnercenter.microsoft.com",
	})
	if _, err := src.Token(); err != nil {
		t.Fatal(err)
	}
	f := ts.Forms()[0]
	if f.Get("scope") != "https://api.partnercenter.microsoft.com/.default" || f.Get("resource") != "" {
		t.Errorf("form = %v, want scope=…/.default and no resource", f)
	}
}

func TestWrongSecretGivesAADSTSHint(t *testing.T) {
	ts := newTokenServer(t, "right")
	src := AppTokenSource(AppCredentials{TokenURL: ts.URL + "/t/oauth2/token", ClientID: "app", ClientSecret: "wrong-secret-value", Resource: "r"})
	_, err := src.Token()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *AuthError", err)
	}
	if ae.AADSTS != "AADSTS7000215" || !ae.Permanent || !strings.Contains(ae.Hint(), "client secret") {
		t.Errorf("AuthError = %+v", ae)
	}
	if !errors.Is(err, ErrUnauthorized) {
		t.Error("AuthError does not match ErrUnauthorized")
	}
	if strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("error text %q leaks the secret or AAD noise", err.Error())
	}
}

func TestTokenCacheReusesAndRenewsBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, "s")
	clock := newFakeClock()
	ts.expires = 3600
	src := AppTokenSource(AppCredentials{TokenURL: ts.URL + "/t/oauth2/token", ClientID: "a", ClientSecret: "s", Resource: "r"})
	// oauth2 computes expiry from the real clock; drive the cache's view.
	cache := NewTokenCache(TokenSourceFunc(func() (*oauth2.Token, error) {
		tok, err := src.Token()
		if err == nil {
			tok.Expiry = clock.Now().Add(time.Hour)
		}
		return tok, err
	}), clock, 5*time.Minute)
	var seen []string
	for range 50 {
		tok, err := cache.Token()
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, tok.AccessToken)
		clock.Advance(30 * time.Second)
	}
	// 50 calls over 25 minutes: one token.
	if n := len(ts.Forms()); n != 1 {
		t.Errorf("fetched %d tokens for 25 minutes of calls, want 1", n)
	}
	// A day-long run: renewed 5 minutes before every expiry, never used expired.
	var renewals int
	last := seen[len(seen)-1]
	for range 24 * 60 {
		clock.Advance(time.Minute)
		tok, err := cache.Token()
		if err != nil {
			t.Fatal(err)
		}
		if !clock.Now().Before(tok.Expiry) {
			t.Fatalf("cache handed out a token expired at %v at %v", tok.Expiry, clock.Now())
		}
		if tok.AccessToken != last {
			renewals++
			last = tok.AccessToken
		}
	}
	if renewals < 24 || renewals > 27 {
		t.Errorf("renewed %d times in 24 h of 1-hour tokens", renewals)
	}
	// A refused token is dropped once, however many workers report it.
	before := len(ts.Forms())
	cache.Invalidate(last)
	cache.Invalidate(last)
	tok, _ := cache.Token()
	cache.Invalidate(last) // stale report: the new token stays
	tok2, _ := cache.Token()
	if len(ts.Forms()) != before+1 || tok.AccessToken != tok2.AccessToken {
		t.Errorf("invalidation fetched %d tokens, want 1", len(ts.Forms())-before)
	}
}

func TestRefreshTokenSourceRotates(t *testing.T) {
	ts := newTokenServer(t, "s")
	ts.rotateTo = "rt-new"
	var rotated []string
	src := RefreshTokenSource(RefreshCredentials{
		TokenURL: ts.URL + "/t/oauth2/token", ClientID: "a", ClientSecret: "s", RefreshToken: "rt-original",
		Resource: "https://api.partnercenter.microsoft.com",
		Rotated:  func(s Secret) { rotated = append(rotated, s.Reveal()) },
	})
	for range 2 {
		if _, err := src.Token(); err != nil {
			t.Fatal(err)
		}
	}
	f := ts.Forms()
	if f[0].Get("grant_type") != "refresh_token" || f[0].Get("refresh_token") != "rt-original" || f[0].Get("resource") != "https://api.partnercenter.microsoft.com" {
		t.Errorf("first form = %v", f[0])
	}
	if f[1].Get("refresh_token") != "rt-new-1" {
		t.Errorf("second request used refresh token %q, want the rotated rt-new-1", f[1].Get("refresh_token"))
	}
	if strings.Join(rotated, ",") != "rt-new-1,rt-new-2" {
		t.Errorf("rotations reported = %v", rotated)
	}
}

func jwt(t *testing.T, exp time.Time) string {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{"aud": "https://api.partnercenter.microsoft.com", "exp": exp.Unix()})
	return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(payload) + ".sig"
}

func TestStaticTokenExpiry(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid for an hour", jwt(t, now.Add(time.Hour)), true},
		{"expired", jwt(t, now.Add(-time.Minute)), false},
		{"expires too soon", jwt(t, now.Add(2*time.Minute)), false},
		{"opaque token, no expiry known", "opaque-token", true},
		{"with Bearer prefix", "Bearer " + jwt(t, now.Add(time.Hour)), true},
		{"empty", "  ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := StaticTokenSource(Secret(tt.token), now, 5*time.Minute)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok = %v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), tt.token[min(len(tt.token), 10):]) && len(tt.token) > 12 {
					t.Errorf("err = %v", err)
				}
				return
			}
			tok, _ := src.Token()
			if strings.HasPrefix(tok.AccessToken, "Bearer") {
				t.Errorf("token kept its Bearer prefix: %q", tok.AccessToken)
			}
		})
	}
}

func TestSecretIsRedactedEverywhere(t *testing.T) {
	s := Secret("hunter2-super-secret")
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("x", "secret", s, "nested", struct{ S Secret }{s})
	js, _ := json.Marshal(map[string]any{"s": s})
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v", s, s, s, s, s),
		fmt.Sprintf("%v", struct{ S Secret }{s}), buf.String(), string(js),
	}
	for _, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "hunter2-super-secret" {
		t.Error("Reveal lost the value")
	}
}

func TestTokenEndpointRedirectIsRefused(t *testing.T) {
	var leaked []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		leaked = append(leaked, r.PostForm.Get("client_secret"))
	}))
	defer evil.Close()
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect) // 307 re-sends the body
	}))
	defer idp.Close()
	src := AppTokenSource(AppCredentials{
		TokenURL: idp.URL + "/t/oauth2/token", ClientID: "a", ClientSecret: "the-secret", Resource: "r",
		HTTPClient: &http.Client{CheckRedirect: SameHostRedirects},
	})
	if _, err := src.Token(); err == nil {
		t.Fatal("a token came back through a redirect to another host")
	}
	if len(leaked) != 0 {
		t.Errorf("the other host received the client secret %d times", len(leaked))
	}
}

func TestShortLivedTokensAreReusedHalfTheirLife(t *testing.T) {
	clock := newFakeClock()
	var fetched int
	cache := NewTokenCache(TokenSourceFunc(func() (*oauth2.Token, error) {
		fetched++
		return &oauth2.Token{AccessToken: fmt.Sprint(fetched), Expiry: clock.Now().Add(time.Minute)}, nil
	}), clock, 5*time.Minute)
	for range 25 { // 25 s
		cache.Token()
		clock.Advance(time.Second)
	}
	if fetched != 1 {
		t.Errorf("a 60 s token was fetched %d times in 25 s; want it reused", fetched)
	}
	clock.Advance(10 * time.Second)
	cache.Token()
	if fetched != 2 {
		t.Errorf("at 35 s of a 60 s token: %d fetches, want a renewal past half its life", fetched)
	}
}

// A token endpoint that echoes the request in its error must not put the
// secret into the error the user sees.
func TestTokenEndpointEchoIsRedacted(t *testing.T) {
	const secret = "Qm8Q~not+a/real=secret-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": "AADSTS900144: bad request with body " + r.PostForm.Encode() + " and " + r.PostForm.Get("client_secret")})
	}))
	defer srv.Close()
	_, err := AppTokenSource(AppCredentials{ClientID: "app", ClientSecret: secret, TokenURL: srv.URL}).Token()
	var ae *AuthError
	if !errors.As(err, &ae) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), url.QueryEscape(secret)) || !strings.Contains(ae.Description, "[redacted]") {
		t.Errorf("err = %v", err)
	}
}
