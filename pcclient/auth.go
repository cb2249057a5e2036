package pcclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Secret is a credential read from the environment. It prints, logs and
// marshals as "[REDACTED]"; Reveal gives the value to the one place that
// sends it.
type Secret string

const redacted = "[REDACTED]"

func (s Secret) String() string { return redacted }

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return redacted }

// LogValue redacts the secret in every slog line.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON redacts the secret in any JSON document.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// TokenSourceFunc adapts a function to oauth2.TokenSource.
type TokenSourceFunc func() (*oauth2.Token, error)

// Token calls f.
func (f TokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// AppCredentials configures app-only authentication (client credentials
// grant), which is what Partner Center's cancel operation supports.
type AppCredentials struct {
	// TokenURL is {authority}/{tenant}/oauth2/token (Azure AD v1, which takes
	// resource=) or …/oauth2/v2.0/token (v2, which takes scope=).
	TokenURL     string
	ClientID     string
	ClientSecret Secret
	// Resource is the Partner Center API's identifier,
	// https://api.partnercenter.microsoft.com.
	Resource string
	// HTTPClient talks to the token endpoint; it should refuse redirects to
	// other hosts (the form body carries the secret).
	HTTPClient *http.Client
}

func isV2(tokenURL string) bool { return strings.Contains(tokenURL, "/oauth2/v2.0/") }

// tokenParams are the endpoint parameters naming the API the token is for.
func tokenParams(tokenURL, resource string) url.Values {
	if isV2(tokenURL) {
		return url.Values{"scope": {strings.TrimSuffix(resource, "/") + "/.default"}}
	}
	return url.Values{"resource": {resource}}
}

// AppTokenSource returns a source that fetches a new app-only token on every
// call; wrap it in a TokenCache to reuse tokens.
func AppTokenSource(c AppCredentials) oauth2.TokenSource {
	cfg := clientcredentials.Config{
		ClientID:       c.ClientID,
		ClientSecret:   c.ClientSecret.Reveal(),
		TokenURL:       c.TokenURL,
		EndpointParams: tokenParams(c.TokenURL, c.Resource),
		// Azure AD takes the credentials in the form body; probing for the
		// style would send the secret twice.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	return TokenSourceFunc(func() (*oauth2.Token, error) {
		tok, err := cfg.Token(httpContext(c.HTTPClient))
		if err != nil {
			return nil, authError(err, c.ClientSecret.Reveal())
		}
		return tok, nil
	})
}

// RefreshCredentials configures App+User authentication (the Secure
// Application Model): a refresh token, obtained once by consent, is
// exchanged for access tokens.
type RefreshCredentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret Secret
	RefreshToken Secret
	Resource     string
	HTTPClient   *http.Client
	// Rotated is called when Azure AD returns a new refresh token. The old one
	// keeps working until it expires; the tool never stores the new one
	// unless asked to.
	Rotated func(Secret)
}

// RefreshTokenSource returns a source that redeems the refresh token on
// every call and keeps the rotated refresh token for the next one.
//
// x/oauth2's own refresh flow cannot send resource= (Azure AD v1 needs it),
// so this uses the client-credentials machinery, which lets the grant type
// be overridden, with grant_type=refresh_token.
func RefreshTokenSource(c RefreshCredentials) oauth2.TokenSource {
	var mu sync.Mutex
	current := c.RefreshToken
	return TokenSourceFunc(func() (*oauth2.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		params := tokenParams(c.TokenURL, c.Resource)
		params.Set("grant_type", "refresh_token")
		params.Set("refresh_token", current.Reveal())
		cfg := clientcredentials.Config{
			ClientID:       c.ClientID,
			ClientSecret:   c.ClientSecret.Reveal(),
			TokenURL:       c.TokenURL,
			EndpointParams: params,
			AuthStyle:      oauth2.AuthStyleInParams,
		}
		tok, err := cfg.Token(httpContext(c.HTTPClient))
		if err != nil {
			return nil, authError(err, c.ClientSecret.Reveal(), current.Reveal())
		}
		if rt := tok.RefreshToken; rt != "" && rt != current.Reveal() {
			current = Secret(rt)
			if c.Rotated != nil {
				c.Rotated(current)
			}
		}
		return tok, nil
	})
}

func httpContext(hc *http.Client) context.Context {
	ctx := context.Background()
	if hc != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	}
	return ctx
}

// StaticTokenSource serves a bearer token obtained elsewhere (e.g. by
// `az account get-access-token`). It reads the JWT's exp claim without
// verifying the signature (Partner Center verifies it) and refuses a token
// that has expired or will within minValid.
func StaticTokenSource(token Secret, now time.Time, minValid time.Duration) (oauth2.TokenSource, error) {
	raw := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token.Reveal()), "Bearer "))
	if raw == "" {
		return nil, &AuthError{Description: "the access token is empty", Permanent: true}
	}
	tok := &oauth2.Token{AccessToken: raw, TokenType: "Bearer"}
	if exp, ok := jwtExpiry(raw); ok {
		tok.Expiry = exp
		if left := exp.Sub(now); left < minValid {
			desc := fmt.Sprintf("the access token expired at %s", exp.UTC().Format(time.RFC3339))
			if left > 0 {
				desc = fmt.Sprintf("the access token expires at %s, in less than %s", exp.UTC().Format(time.RFC3339), minValid)
			}
			return nil, &AuthError{Description: desc, Fix: "get a fresh one, e.g. az account get-access-token --resource https://api.partnercenter.microsoft.com", Permanent: true}
		}
	}
	return oauth2.StaticTokenSource(tok), nil
}

// jwtExpiry reads the exp claim of a JWT, unverified.
func jwtExpiry(token string) (time.Time, bool) {
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if !jwtClaims(token, &claims) || claims.Exp == nil {
		return time.Time{}, false
	}
	secs, err := claims.Exp.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(secs), 0), true
}

// jwtClaims decodes the claims of a JWT into v, without verifying it.
func jwtClaims(token string, v any) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	return err == nil && json.Unmarshal(payload, v) == nil
}

// TokenTenant returns the tenant an access token was issued in (its tid
// claim), or "" when it is not a JWT that says. The token is read, not
// verified: this names the partner tenant in a report, nothing more.
func TokenTenant(accessToken string) string {
	var claims struct {
		Tid string `json:"tid"`
	}
	if !jwtClaims(accessToken, &claims) {
		return ""
	}
	return claims.Tid
}

// TokenCache reuses a token until shortly before it expires, fetches a new
// one once when several workers need it at the same time, and drops a token
// Partner Center has refused (Invalidate), so one 401 refreshes it.
type TokenCache struct {
	src    oauth2.TokenSource
	clock  Clock
	margin time.Duration

	mu      sync.Mutex
	tok     *oauth2.Token
	fetched time.Time
}

// NewTokenCache wraps src. Tokens are renewed margin before they expire
// (Azure AD tokens live 60–90 minutes; a day-long run renews many times).
func NewTokenCache(src oauth2.TokenSource, clock Clock, margin time.Duration) *TokenCache {
	if clock == nil {
		clock = SystemClock{}
	}
	return &TokenCache{src: src, clock: clock, margin: margin}
}

// Token returns a valid token, fetching one if needed. A token is renewed
// margin before it expires, or halfway through its life if it lives less
// than twice the margin.
func (c *TokenCache) Token() (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.tok != nil {
		if c.tok.Expiry.IsZero() {
			return c.tok, nil
		}
		early := min(c.margin, c.tok.Expiry.Sub(c.fetched)/2)
		if now.Add(early).Before(c.tok.Expiry) {
			return c.tok, nil
		}
	}
	tok, err := c.src.Token()
	if err != nil {
		return nil, err
	}
	c.tok, c.fetched = tok, now
	return tok, nil
}

// Invalidate drops the cached token if it is still the one given, so that
// many workers seeing the same 401 cause a single refresh.
func (c *TokenCache) Invalidate(accessToken string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && c.tok.AccessToken == accessToken {
		c.tok = nil
	}
}

var aadstsRE = regexp.MustCompile(`AADSTS\d+`)

// aadHints maps Azure AD error codes to what the user has to fix.
var aadHints = map[string]string{
	"AADSTS7000215": "the client secret is wrong: put the secret's Value (not its Secret ID) in the environment variable named by auth.client_secret_env",
	"AADSTS7000222": "the client secret has expired: create a new one under Certificates & secrets of the app registration",
	"AADSTS700016":  "the application was not found in the tenant: check auth.client_id and auth.tenant_id, and that the app is registered in (or consented to by) the partner tenant",
	"AADSTS90002":   "the tenant was not found: check auth.tenant_id (the partner's Azure AD tenant id or domain)",
	"AADSTS900023":  "the tenant id is not valid: check auth.tenant_id",
	"AADSTS65001":   "consent is missing: an admin must grant consent to the app's Partner Center API permission",
	"AADSTS500011":  "the resource was not found in the tenant: check auth.resource (https://api.partnercenter.microsoft.com)",
	"AADSTS70011":   "the requested scope is not valid: check auth.resource and auth.token_url",
	"AADSTS70008":   "the refresh token has expired or been revoked: run the consent flow again to get a new one",
	"AADSTS700082":  "the refresh token has expired through inactivity: run the consent flow again to get a new one",
	"AADSTS50076":   "multi-factor authentication is required: obtain the refresh token with MFA (Secure Application Model)",
	"AADSTS7000112": "the application is disabled in the tenant",
	"AADSTS50126":   "the credentials are wrong",
}

// authError turns an oauth2 failure into an AuthError with the AADSTS code,
// a short description and a hint. Response bodies are not copied: the
// description comes from Azure AD's error_description only, cleaned (Clean)
// of secrets — a token endpoint that echoes the request must not put the
// client secret or refresh token into a message.
func authError(err error, secrets ...string) error {
	ae := authErrorOf(err)
	ae.Description = Clean(ae.Description, MaxText, secrets...)
	return ae
}

func authErrorOf(err error) *AuthError {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// Network trouble: the token endpoint never answered.
		return &AuthError{Description: err.Error(), Err: err}
	}
	ae := &AuthError{Err: errors.New("token endpoint refused the request"), Permanent: true}
	if re.Response != nil {
		ae.Permanent = re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests
		ae.Description = re.Response.Status
	}
	if desc := re.ErrorDescription; desc != "" {
		if line, _, _ := strings.Cut(desc, "\n"); line != "" {
			desc = line
		}
		if i := strings.Index(desc, " Trace ID:"); i > 0 {
			desc = desc[:i]
		}
		ae.Description = desc
	} else if re.ErrorCode != "" {
		ae.Description = re.ErrorCode
	}
	ae.AADSTS = aadstsRE.FindString(re.ErrorDescription)
	if ae.AADSTS == "" {
		ae.AADSTS = aadstsRE.FindString(string(re.Body))
	}
	if h, ok := aadHints[ae.AADSTS]; ok {
		ae.Fix = h
	} else if re.ErrorCode == "invalid_client" {
		ae.Fix = aadHints["AADSTS7000215"]
	}
	if strings.HasPrefix(ae.Description, ae.AADSTS+": ") {
		ae.Description = strings.TrimPrefix(ae.Description, ae.AADSTS+": ")
	}
	return ae
}
