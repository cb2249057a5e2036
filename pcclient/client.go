// Package pcclient is a client for the Partner Center REST API's orders:
// GET an order and cancel line items of it (PATCH status "cancelled").
//
// Every request carries the headers Partner Center documents (Authorization,
// Accept, MS-RequestId, MS-CorrelationId, MS-Contract-Version). A logical call
// keeps its MS-RequestId through all its retries, which makes a re-sent
// PATCH idempotent; retries wait on a shared Limiter, honour Retry-After and
// pause every caller after a 429. Failures come back as values to inspect:
// *APIError, *AuthError and the sentinels ErrNotFound, ErrThrottled and
// ErrUnauthorized.
package pcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/internal/safeurl"
)

// maxBody bounds what the client reads of an answer; an order is a few KB.
const maxBody = 8 << 20

// Client talks to one Partner Center endpoint. It is safe for concurrent use.
type Client struct {
	baseURL   *url.URL
	hc        *http.Client
	tokens    oauth2.TokenSource
	limiter   Limiter
	retry     RetryPolicy
	clock     Clock
	log       *slog.Logger
	userAgent string
	maxPages  int // bounds a list read (DefaultMaxPages when 0)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Its redirect policy is replaced by
// one that refuses to follow a redirect to another host, so the bearer token
// never leaves the endpoint.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithTokenSource sets where access tokens come from. If it has an
// Invalidate(accessToken string) method (TokenCache has), a 401 drops the
// refused token and the call is retried once with a new one.
func WithTokenSource(ts oauth2.TokenSource) Option { return func(c *Client) { c.tokens = ts } }

// WithLimiter sets the limiter every attempt waits on (default: a Pacer
// with no rate limit, which still pauses every call after a 429).
func WithLimiter(l Limiter) Option { return func(c *Client) { c.limiter = l } }

// WithRetry sets the retry policy (default DefaultRetryPolicy).
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithLogger sets the logger for one debug line per attempt. Headers and
// bodies are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock sets the clock used for waiting and timing.
func WithClock(clk Clock) Option { return func(c *Client) { c.clock = clk } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for baseURL, e.g. https://api.partnercenter.microsoft.com.
// It returns an error when baseURL is not an absolute URL, or uses plain
// http:// to a host other than loopback.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := safeurl.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	c := &Client{
		baseURL:   u,
		retry:     DefaultRetryPolicy,
		clock:     SystemClock{},
		log:       slog.New(slog.DiscardHandler),
		userAgent: "pcreconcile",
	}
	for _, opt := range opts {
		opt(c)
	}
	hc := http.Client{Timeout: 60 * time.Second}
	if c.hc != nil {
		hc = *c.hc
	}
	hc.CheckRedirect = SameHostRedirects
	c.hc = &hc
	if c.limiter == nil {
		c.limiter = NewPacer(PacerOptions{Clock: c.clock})
	}
	return c, nil
}

// SameHostRedirects is an http.Client CheckRedirect policy that follows at
// most 5 redirects within the same scheme and host and refuses any other:
// x/oauth2-style transports add the bearer token to every request they see,
// and a token endpoint's form body carries the client secret.
func SameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
		return fmt.Errorf("refusing redirect from %s://%s to %s://%s: credentials must not leave the endpoint", first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// Response describes a logical call: the ids to quote in a support ticket,
// how many attempts it took and how long.
type Response struct {
	// StatusCode of the last answer, 0 if none came.
	StatusCode    int
	RequestID     string
	CorrelationID string
	Attempts      int
	Duration      time.Duration
	// Verified is true when a PATCH's answer was lost and a GET showed that
	// the cancellation had been applied; the order returned is that GET's.
	Verified bool
	// MayHaveApplied is true when an attempt of a call that changes state got
	// no answer or a 5xx before the call was sent again or given up: that
	// attempt may have been carried out, so an answer such as "already
	// cancelled" (800063) may be this call's own doing.
	MayHaveApplied bool
}

// ErrStopped is returned by a call stopped (UntilStopped) before its first
// attempt was sent.
var ErrStopped = errors.New("stopped before the request was sent")

// call is one logical call.
type call struct {
	method   string
	path     string // relative to the base URL
	query    url.Values
	customer string // for the per-customer limit
	body     any    // JSON-encoded anew for every attempt
	// requestID, when set, is the call's MS-RequestId (else a new GUID).
	requestID string
	// verify, for calls that change state, checks after an ambiguous
	// failure whether the change already happened.
	verify func(ctx context.Context) (done bool)
	// check validates a decoded answer; token is the access token the
	// request carried, to be removed wherever the answer echoes it.
	check func(token string) error
	// until, once done, stops the call from waiting or sending again.
	until context.Context
	// once sends a single attempt at once: no limiter, no retry.
	once bool
	// header holds headers of the call's own (a continuation token).
	header http.Header
}

// newRequest builds one attempt of cl.
func (c *Client) newRequest(ctx context.Context, cl *call, resp *Response, token string) (*http.Request, error) {
	u, err := c.baseURL.Parse(cl.path)
	if err != nil {
		return nil, err
	}
	u.RawQuery = cl.query.Encode()
	var body io.Reader
	var payload []byte
	if cl.body != nil {
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, err
		}
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("MS-RequestId", resp.RequestID)
	req.Header.Set("MS-CorrelationId", resp.CorrelationID)
	req.Header.Set("MS-Contract-Version", "v1")
	req.Header.Set("User-Agent", c.userAgent)
	for k, v := range cl.header {
		req.Header[k] = v
	}
	return req, nil
}

// do runs a logical call until it succeeds, fails for good, or ctx is done;
// on success it decodes the answer into out. It returns ctx.Err() when the
// context ends it.
func (c *Client) do(ctx context.Context, cl *call, out any) (*Response, error) {
	resp := &Response{RequestID: cl.requestID, CorrelationID: uuid.NewString()}
	if resp.RequestID == "" {
		resp.RequestID = uuid.NewString()
	}
	start := c.clock.Now()
	defer func() { resp.Duration = c.clock.Now().Sub(start) }()
	policy := c.retry.withDefaults()
	var (
		waited    time.Duration
		refreshed bool
		throttled int
		lastErr   error
	)
	// Waiting — for the limiter, a pause, a backoff — ends when the call
	// is stopped; the attempt under way does not.
	waitCtx := ctx
	if cl.until != nil {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(cl.until, cancel)()
	}
	isStopped := func() bool { return cl.until != nil && cl.until.Err() != nil }
	// stopped ends the call before attempt n.
	stopped := func(n int) (*Response, error) {
		if n == 1 {
			return resp, ErrStopped
		}
		return resp, fmt.Errorf("%s %s: stopped after %d attempts: %w", cl.method, cl.path, n-1, lastErr)
	}
	for n := 1; ; n++ {
		if isStopped() {
			return stopped(n)
		}
		if !cl.once {
			if err := c.limiter.Wait(waitCtx, cl.customer); err != nil {
				if ctx.Err() == nil && isStopped() {
					return stopped(n)
				}
				return resp, ctxErr(ctx, err)
			}
		}
		resp.Attempts = n
		a := Attempt{Method: cl.method, N: n, RetryAfter: -1, Refreshed: refreshed}
		token, err := c.token()
		var sentToken string
		if err != nil {
			a.Err, a.NotSent = err, true
			lastErr = err
			var ae *AuthError
			if errors.As(err, &ae) && ae.Permanent {
				return resp, err
			}
		} else {
			sentToken = token
			status, apiErr, err := c.attempt(ctx, cl, resp, token, out)
			var implausible *AnswerError
			switch {
			case err == nil && apiErr == nil:
				return resp, nil
			case ctx.Err() != nil:
				return resp, ctx.Err()
			case errors.As(err, &implausible):
				return resp, err
			case apiErr != nil:
				a.StatusCode, a.Code, a.RetryAfter, a.Retryable = status, apiErr.Code, apiErr.RetryAfter, apiErr.Retryable
				lastErr = apiErr
			default:
				var dns *net.DNSError
				if errors.As(err, &dns) && dns.IsNotFound {
					// Nothing was sent, and the name will not resolve on the
					// next attempt either.
					return resp, &UnreachableError{Host: dns.Name, Err: err}
				}
				a.Err = err
				lastErr = err
			}
		}
		if a.StatusCode == http.StatusTooManyRequests {
			throttled++
		}
		if a.RetryAfter > policy.MaxRetryAfter {
			c.log.Warn("Retry-After capped", "method", cl.method, "path", cl.path, "status", a.StatusCode, "asked", a.RetryAfter, "waiting", policy.MaxRetryAfter)
		}
		a.Throttled = throttled
		d := policy.Decide(a)
		if d.Verify {
			resp.MayHaveApplied = true
		}
		if cl.once {
			d.Retry = false
		}
		if !d.Retry {
			if n > 1 || (a.StatusCode == 0 && a.Err != nil) {
				return resp, fmt.Errorf("%s %s: giving up after %d attempts: %w", cl.method, cl.path, n, lastErr)
			}
			return resp, lastErr
		}
		if waited+d.Wait > policy.MaxWait {
			return resp, fmt.Errorf("%s %s: giving up after %d attempts and %s of waiting: %w", cl.method, cl.path, n, waited.Round(time.Second), lastErr)
		}
		waited += d.Wait
		c.log.Debug("retrying", "method", cl.method, "path", cl.path, "attempt", n, "status", a.StatusCode, "code", a.Code, "wait", d.Wait, "request_id", resp.RequestID, "err", a.Err)
		if d.Refresh {
			refreshed = true
			if inv, ok := c.tokens.(interface{ Invalidate(string) }); ok {
				inv.Invalidate(sentToken)
			}
		}
		if d.Pause {
			c.limiter.Pause(d.Wait) // the next limiter.Wait sits out the pause
		} else if err := c.clock.Sleep(waitCtx, d.Wait); err != nil {
			if ctx.Err() == nil {
				return stopped(n + 1)
			}
			return resp, ctx.Err()
		}
		if isStopped() {
			return stopped(n + 1) // the caller reads the order itself
		}
		if d.Verify && cl.verify != nil && cl.verify(ctx) {
			resp.Verified = true
			return resp, nil
		}
	}
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *Client) token() (string, error) {
	if c.tokens == nil {
		return "", &AuthError{Description: "no token source configured", Permanent: true}
	}
	tok, err := c.tokens.Token()
	if err != nil {
		var ae *AuthError
		if !errors.As(err, &ae) {
			err = &AuthError{Description: err.Error(), Err: err}
		}
		return "", err
	}
	return tok.AccessToken, nil
}

// attempt sends one request of cl. It returns the API error of a non-2xx
// answer, or err when no usable answer came.
func (c *Client) attempt(ctx context.Context, cl *call, resp *Response, token string, out any) (int, *APIError, error) {
	req, err := c.newRequest(ctx, cl, resp, token)
	if err != nil {
		return 0, nil, err
	}
	began := c.clock.Now()
	hr, err := c.hc.Do(req)
	if err != nil {
		c.log.Debug("request failed", "method", cl.method, "path", cl.path, "request_id", resp.RequestID, "err", err)
		return 0, nil, err
	}
	defer hr.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBody))
	resp.StatusCode = hr.StatusCode
	c.log.Debug("request", "method", cl.method, "path", cl.path, "status", hr.StatusCode, "request_id", resp.RequestID, "took", c.clock.Now().Sub(began))
	if err != nil {
		// The connection broke mid-answer: as ambiguous as no answer at all.
		return 0, nil, fmt.Errorf("reading answer: %w", err)
	}
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		return hr.StatusCode, newAPIError(cl.method, cl.path, hr.StatusCode, hr.Header, body, c.clock.Now(), token), nil
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return 0, nil, fmt.Errorf("decoding answer: %w", err)
		}
	}
	if cl.check != nil {
		if err := cl.check(token); err != nil {
			return hr.StatusCode, nil, &AnswerError{Method: cl.method, Path: cl.path, Reason: err.Error()}
		}
	}
	return hr.StatusCode, nil, nil
}
