package pcclient

import (
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Login says how to authenticate to Partner Center. Secrets are never in
// it: only the names of the environment variables that hold them, read
// through Getenv.
type Login struct {
	// Mode is "app" (client credentials), "token" (a bearer token obtained
	// elsewhere) or "refresh_token" (App+User, the Secure Application
	// Model).
	Mode               string
	TenantID, ClientID string
	TokenURL, Resource string
	// The environment variables holding the client secret, the access token
	// (mode token) and the refresh token (mode refresh_token).
	ClientSecretEnv, TokenEnv, RefreshTokenEnv string
	Getenv                                     func(string) string
	// HTTPClient talks to the token endpoint; its redirect policy is
	// replaced by SameHostRedirects (the form body carries the secret).
	HTTPClient *http.Client
	// Now is when a static token's expiry is checked against.
	Now time.Time
	// Rotated, in mode refresh_token, receives a refresh token Azure AD has
	// replaced.
	Rotated func(Secret)
}

// MissingSecretError is an environment variable a Login needs that is
// empty. Nothing was sent.
type MissingSecretError struct {
	Env  string
	What string // what it must hold
}

func (e *MissingSecretError) Error() string {
	return fmt.Sprintf("the environment variable %s is empty; it must hold %s", e.Env, e.What)
}

// Hint says how to set it.
func (e *MissingSecretError) Hint() string {
	return fmt.Sprintf("export %s=… (the config names the variable in auth; the value never goes in a file)", e.Env)
}

// TokenSource builds the token source of l: a static token checked for
// expiry (mode token), or a TokenCache over the client-credentials or
// refresh-token flow. It returns a *MissingSecretError for an empty
// variable and an *AuthError for a token that is unusable as given.
func (l Login) TokenSource() (oauth2.TokenSource, error) {
	env := func(name, what string) (Secret, error) {
		v := l.Getenv(name)
		if v == "" {
			return "", &MissingSecretError{Env: name, What: what}
		}
		return Secret(v), nil
	}
	var hc http.Client
	if l.HTTPClient != nil {
		hc = *l.HTTPClient
	}
	hc.CheckRedirect = SameHostRedirects
	if l.Mode == "token" {
		tok, err := env(l.TokenEnv, "a Partner Center access token")
		if err != nil {
			return nil, err
		}
		return StaticTokenSource(tok, l.Now, 5*time.Minute)
	}
	secret, err := env(l.ClientSecretEnv, "the app's client secret")
	if err != nil {
		return nil, err
	}
	var src oauth2.TokenSource
	if l.Mode == "refresh_token" {
		rt, err := env(l.RefreshTokenEnv, "a refresh token from the Secure Application Model consent")
		if err != nil {
			return nil, err
		}
		src = RefreshTokenSource(RefreshCredentials{
			TokenURL: l.TokenURL, ClientID: l.ClientID, ClientSecret: secret, RefreshToken: rt,
			Resource: l.Resource, HTTPClient: &hc, Rotated: l.Rotated,
		})
	} else {
		src = AppTokenSource(AppCredentials{
			TokenURL: l.TokenURL, ClientID: l.ClientID, ClientSecret: secret,
			Resource: l.Resource, HTTPClient: &hc,
		})
	}
	return NewTokenCache(src, nil, 5*time.Minute), nil
}
