// Package sandbox is the built-in Partner Center simulator: the server side of
// the orders protocol pcclient speaks (GET and PATCH
// /v1/customers/{customer-tenant-id}/orders/{order-id}), with the documented
// headers, error bodies and codes, cancellation windows, per-MS-RequestId
// idempotency, throttling (429 + Retry-After) and seeded faults.
//
// It is the tool's default endpoint, so a new user can run the samples at
// once, and it is the test double of every test that talks HTTP.
package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"
)

// Options configures a Server. The zero value is a well-behaved sandbox
// without throttling, faults or persistence.
type Options struct {
	// Latency delays every answer, as a distant API does.
	Latency time.Duration
	Faults  Faults
	// StatePath, when set, receives the state after every change.
	StatePath string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Authorize decides whether a bearer token is accepted; nil accepts any
	// non-empty token.
	Authorize func(token string) bool
	// OnPatchApplied, when set, is called after a PATCH changed an order and
	// before its answer is written (tests use it to crash clients there).
	OnPatchApplied func(customerID, orderID string)
	Log            *slog.Logger
	// PageSize caps the pages of the customer and order lists (default 3:
	// small enough that every client of the sandbox pages).
	PageSize int
}

// Stats counts what the sandbox has seen and done.
type Stats struct {
	Requests     int
	Gets         int // order reads
	Products     int // catalogue reads
	Lists        int // pages of the customer and order lists
	Patches      int // PATCH requests that reached the order handler
	Unauthorized int
	Throttled    int
	Errors500    int
	Errors503    int
	Busy         int
	Dropped      int // PATCHes applied whose connection was then dropped
	Replays      int // PATCHes answered from the MS-RequestId store
	Rejected     int // PATCHes refused with a 4xx by the order rules
	// Applied counts, per "customer/order", the PATCHes that changed at least
	// one quantity. A value above 1 for an order that was cancelled in one
	// request means something cancelled it twice.
	Applied map[string]int
	// LinesCancelled counts, per "customer/order/line", the cancellations
	// that took effect on that line (at once, or when a pending one landed,
	// even on a line another had set to 0 already). Above 1 means the line
	// was cancelled twice.
	LinesCancelled map[string]int
	// RequestIDs lists, per "customer/order", the MS-RequestIds of the
	// cancellations that took effect on it. Two of them for an order
	// cancelled in one go means a client sent a second request while the
	// first could still take effect.
	RequestIDs map[string][]string
	// Pending counts PATCHes accepted and carried out later (the pending
	// fault); Landed those that took effect, Lost those Partner Center
	// never carried out (LosePending).
	Pending, Landed, Lost int
}

// Server is the simulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	opts      Options
	now       func() time.Time
	log       *slog.Logger
	mux       *http.ServeMux
	dice      *dice
	partner   *rate.Limiter
	customers map[string]*rate.Limiter

	mu      sync.Mutex
	state   *State
	replays map[string]stored
	stats   Stats
}

type stored struct {
	status int
	body   []byte
}

// New returns a sandbox serving state. It returns an error for invalid
// fault settings.
func New(state *State, opts Options) (*Server, error) {
	if err := opts.Faults.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:      opts,
		now:       opts.Now,
		log:       opts.Log,
		state:     state,
		dice:      newDice(opts.Faults.Seed),
		customers: make(map[string]*rate.Limiter),
		replays:   make(map[string]stored),
		stats:     Stats{Applied: make(map[string]int), LinesCancelled: make(map[string]int), RequestIDs: make(map[string][]string)},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if t := opts.Faults.Throttle; t.RequestsPerMinute > 0 {
		s.partner = newBucket(t.RequestsPerMinute, t.Burst)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/customers/{customer}/orders/{order}", s.getOrder)
	s.mux.HandleFunc("PATCH /v1/customers/{customer}/orders/{order}", s.patchOrder)
	s.mux.HandleFunc("GET /v1/products/{product}", s.getProduct)
	s.mux.HandleFunc("GET /v1/customers", s.listCustomers)
	s.mux.HandleFunc("GET /v1/customers/{customer}/orders", s.listOrders)
	s.mux.HandleFunc("GET /sandbox/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20000, "The requested resource was not found: "+r.URL.Path)
	})
	return s, nil
}

func newBucket(perMinute float64, burst int) *rate.Limiter {
	if burst <= 0 {
		burst = max(1, int(perMinute/10))
	}
	return rate.NewLimiter(rate.Limit(perMinute/60), burst)
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.land()
	st := s.stats
	st.Applied = make(map[string]int, len(s.stats.Applied))
	for k, v := range s.stats.Applied {
		st.Applied[k] = v
	}
	st.LinesCancelled = make(map[string]int, len(s.stats.LinesCancelled))
	for k, v := range s.stats.LinesCancelled {
		st.LinesCancelled[k] = v
	}
	st.RequestIDs = make(map[string][]string, len(s.stats.RequestIDs))
	for k, v := range s.stats.RequestIDs {
		st.RequestIDs[k] = slices.Clone(v)
	}
	return st
}

// Twice lists what was done twice: a line cancelled more than once, an
// order changed by more than one MS-RequestId. Empty when every
// cancellation happened once.
func (st Stats) Twice() []string {
	var out []string
	for _, order := range slices.Sorted(maps.Keys(st.RequestIDs)) {
		if ids := st.RequestIDs[order]; len(ids) > 1 {
			out = append(out, fmt.Sprintf("order %s was changed by %d MS-RequestIds: %v", order, len(ids), ids))
		}
	}
	for _, line := range slices.Sorted(maps.Keys(st.LinesCancelled)) {
		if n := st.LinesCancelled[line]; n > 1 {
			out = append(out, fmt.Sprintf("line %s was cancelled %d times", line, n))
		}
	}
	return out
}

// land carries out the pending cancellations that are due (s.mu held).
// They are applied when the next request looks, not by a timer, so a test
// clock (Options.Now) decides when they land.
func (s *Server) land() {
	now := s.now()
	changed := false
	for _, c := range s.state.Customers {
		for _, o := range c.Orders {
			kept := o.Pending[:0]
			for _, p := range o.Pending {
				if p.Due.After(now) {
					kept = append(kept, p)
					continue
				}
				applied := false
				for _, n := range p.Lines {
					if li := o.line(n); li != nil && li.Quantity > 0 {
						li.Cancelled += li.Quantity
						li.Quantity, applied = 0, true
					}
				}
				key := c.ID + "/" + o.ID
				if applied {
					s.stats.Applied[key]++
				}
				s.took(key, p.RequestID, p.Lines)
				s.stats.Landed++
				changed = true
			}
			o.Pending = kept
			if len(o.Pending) == 0 {
				o.Pending = nil
			}
		}
	}
	if changed {
		s.save()
	}
}

// took counts a cancellation that took effect on lines of order key
// (s.mu held).
func (s *Server) took(key, requestID string, lines []int) {
	for _, n := range lines {
		s.stats.LinesCancelled[fmt.Sprintf("%s/%d", key, n)]++
	}
	if !slices.Contains(s.stats.RequestIDs[key], requestID) {
		s.stats.RequestIDs[key] = append(s.stats.RequestIDs[key], requestID)
	}
}

// LosePending makes the cancellations pending on an order never land —
// Partner Center accepted them and then did not carry them out — and
// returns how many there were. The order is final again, its lines as they
// were.
func (s *Server) LosePending(customerID, orderID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.state.customer(customerID)
	if c == nil || c.order(orderID) == nil {
		return 0
	}
	o := c.order(orderID)
	n := len(o.Pending)
	o.Pending = nil
	s.stats.Lost += n
	s.save()
	return n
}

// SetFaults replaces the faults from now on, as restarting the sandbox
// with other flags would.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
	return nil
}

// faults are the faults in force.
func (s *Server) faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Faults
}

// save writes the state where Options.StatePath says (s.mu held).
func (s *Server) save() {
	if s.opts.StatePath != "" {
		if err := s.state.Save(s.opts.StatePath); err != nil {
			s.log.Error("sandbox: cannot save state", "path", s.opts.StatePath, "err", err)
		}
	}
}

// SetRelationship makes the partner's reseller relationship with a
// customer exist or not, as when it is restored after a 20002; it reports
// whether the customer exists.
func (s *Server) SetRelationship(customerID string, ok bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.state.customer(customerID)
	if c != nil {
		c.Relationship = ok
	}
	return c != nil
}

// Quantity returns the current quantity of a line item, and false when the
// customer, order or line does not exist.
func (s *Server) Quantity(customerID, orderID string, line int) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.land()
	c := s.state.customer(customerID)
	if c == nil {
		return 0, false
	}
	o := c.order(orderID)
	if o == nil {
		return 0, false
	}
	li := o.line(line)
	if li == nil {
		return 0, false
	}
	return li.Quantity, true
}

// ServeHTTP answers one request: authentication, throttling and faults
// first, then the order handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++ })
	reqID, corrID := r.Header.Get("MS-RequestId"), r.Header.Get("MS-CorrelationId")
	if reqID != "" {
		w.Header().Set("MS-RequestId", reqID)
	}
	if corrID != "" {
		w.Header().Set("MS-CorrelationId", corrID)
	}
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if r.URL.Path == "/sandbox/stats" {
		s.mux.ServeHTTP(w, r)
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" || (s.opts.Authorize != nil && !s.opts.Authorize(token)) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox"`)
		writeError(w, http.StatusUnauthorized, 800001, "Authorization token is missing, invalid or expired.")
		return
	}
	if wait, ok := s.throttle(r.URL.Path); !ok {
		s.count(func(st *Stats) { st.Throttled++ })
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{
			"statusCode": 429,
			"message":    fmt.Sprintf("Rate limit is exceeded. Try again in %d seconds.", secs),
		})
		return
	}
	d := s.dice.next(r.Method + " " + r.URL.Path)
	switch s.faults().before(d) {
	case fault500:
		s.count(func(st *Stats) { st.Errors500++ })
		writeError(w, http.StatusInternalServerError, 500, "An unexpected error occurred. (sandbox fault)")
		return
	case fault503:
		s.count(func(st *Stats) { st.Errors503++ })
		writeError(w, http.StatusServiceUnavailable, 503, "The service is temporarily unavailable. (sandbox fault)")
		return
	case faultBusy:
		s.count(func(st *Stats) { st.Busy++ })
		code := 800014
		if d.at(2) < 0.5 {
			code = 800060
		}
		// Newer Partner Center services answer in this shape.
		writeJSON(w, http.StatusConflict, map[string]any{
			"code":        code,
			"errorName":   "OrderBusy",
			"isRetryable": true,
			"message":     "The order is being updated by another request. Try again later.",
			"description": "The order is being updated by another request. Try again later.",
		})
		return
	}
	if r.Method == http.MethodPatch {
		r = r.WithContext(withDraw(r.Context(), d))
	}
	s.mux.ServeHTTP(w, r)
}

// throttle takes a token from the partner bucket (and the bucket of the
// customer in path). It returns the Retry-After to answer when there is none.
func (s *Server) throttle(path string) (time.Duration, bool) {
	t := s.faults().Throttle
	// The mux has not matched yet (PathValue is empty): read the path.
	customer := ""
	if parts := strings.Split(strings.TrimPrefix(path, "/v1/customers/"), "/"); len(parts) > 1 {
		customer = strings.ToLower(parts[0])
	}
	now := s.now()
	var buckets []*rate.Limiter
	if s.partner != nil {
		buckets = append(buckets, s.partner)
	}
	if t.CustomerRequestsPerMinute > 0 && customer != "" {
		s.mu.Lock()
		b := s.customers[customer]
		if b == nil {
			b = newBucket(t.CustomerRequestsPerMinute, t.Burst)
			s.customers[customer] = b
		}
		s.mu.Unlock()
		buckets = append(buckets, b)
	}
	for _, b := range buckets {
		res := b.ReserveN(now, 1)
		if delay := res.DelayFrom(now); delay > 0 {
			res.CancelAt(now)
			if t.RetryAfter != nil {
				delay = *t.RetryAfter
			}
			return delay, false
		}
	}
	return 0, true
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// lookup finds the customer and order of a request, or writes the error
// Partner Center answers: 403/20002 without a relationship, 404/20000 for an
// unknown order. It must be called with s.mu held.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*Customer, *Order, bool) {
	cid, oid := r.PathValue("customer"), r.PathValue("order")
	c := s.state.customer(cid)
	if c == nil || !c.Relationship {
		writeError(w, http.StatusForbidden, 20002, fmt.Sprintf("The partner does not have a relationship with customer %s.", cid))
		return nil, nil, false
	}
	o := c.order(oid)
	if o == nil {
		writeError(w, http.StatusNotFound, 20000, fmt.Sprintf("Order %s was not found for customer %s.", oid, cid))
		return nil, nil, false
	}
	return c, o, true
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.land()
	s.stats.Gets++
	c, o, ok := s.lookup(w, r)
	var body []byte
	if ok {
		body, _ = json.Marshal(s.orderJSON(c, o, r.URL.Query().Get("include_price") == "true"))
	}
	s.mu.Unlock()
	if ok {
		writeBody(w, http.StatusOK, body)
	}
}

// page cuts n items into the page a request asks for: from the offset its
// MS-ContinuationToken names (none: the first page), of the size it asks
// for (capped by PageSize). It returns the items' range and, when more
// follow, the token of the next page.
func (s *Server) page(r *http.Request, list string, n int) (from, to int, next string, ok bool) {
	size := s.opts.PageSize
	if size <= 0 {
		size = 3
	}
	if asked, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil && asked > 0 {
		size = min(size, asked)
	}
	if tok := r.Header.Get("MS-ContinuationToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		rest, cut := strings.CutPrefix(string(b), list+":")
		at, err2 := strconv.Atoi(rest)
		if err != nil || !cut || err2 != nil || at < 0 || at > n {
			return 0, 0, "", false
		}
		from = at
	}
	to = min(from+size, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d", list, to)))
	}
	return from, to, next, true
}

// collection renders a page of a list as Partner Center does: its items,
// the total, and a links.next (a uri relative to the API root without
// /v1, and the continuation token to send) when more follow.
func collection(items []any, total int, self, next string) map[string]any {
	links := map[string]any{"self": map[string]any{"uri": self, "method": "GET", "headers": []any{}}}
	if next != "" {
		u, _ := url.Parse(self)
		q := u.Query()
		q.Set("seekOperation", "Next")
		u.RawQuery = q.Encode()
		links["next"] = map[string]any{"uri": u.String(), "method": "GET",
			"headers": []any{map[string]any{"key": "MS-ContinuationToken", "value": next}}}
	}
	return map[string]any{"totalCount": total, "items": items, "links": links, "attributes": map[string]any{"objectType": "Collection"}}
}

// listCustomers answers "Get a list of customers", page by page.
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Lists++
	all := s.state.Customers
	from, to, next, ok := s.page(r, "customers", len(all))
	var body []byte
	if ok {
		items := make([]any, 0, to-from)
		for _, c := range all[from:to] {
			items = append(items, map[string]any{
				"id": c.ID,
				"companyProfile": map[string]any{"tenantId": c.ID, "domain": strings.ToLower(strings.ReplaceAll(c.Name, " ", "")) + ".onmicrosoft.com",
					"companyName": c.Name, "attributes": map[string]any{"objectType": "CustomerCompanyProfile"}},
				"relationshipToPartner": "reseller",
				"attributes":            map[string]any{"objectType": "Customer"},
			})
		}
		body, _ = json.Marshal(collection(items, len(all), "/customers?"+r.URL.Query().Encode(), next))
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, 400, "The continuation token is not valid.")
		return
	}
	writeBody(w, http.StatusOK, body)
}

// listOrders answers "Get a list of orders by customer and billing cycle
// type": the customer's orders whose billing cycle is the one asked
// (billingType onetime is billingCycle one_time), with prices on request,
// page by page.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.land()
	s.stats.Lists++
	cid := r.PathValue("customer")
	c := s.state.customer(cid)
	if c == nil || !c.Relationship {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, 20002, fmt.Sprintf("The partner does not have a relationship with customer %s.", cid))
		return
	}
	want := billing(r.URL.Query().Get("billingType"))
	var orders []*Order
	for _, o := range c.Orders {
		if want == "" || billing(o.BillingCycle) == want {
			orders = append(orders, o)
		}
	}
	from, to, next, ok := s.page(r, "orders", len(orders))
	var body []byte
	if ok {
		items := make([]any, 0, to-from)
		for _, o := range orders[from:to] {
			items = append(items, s.orderJSON(c, o, r.URL.Query().Get("include_price") == "true"))
		}
		body, _ = json.Marshal(collection(items, len(orders), "/customers/"+cid+"/orders?"+r.URL.Query().Encode(), next))
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, 400, "The continuation token is not valid.")
		return
	}
	writeBody(w, http.StatusOK, body)
}

// billing folds a billing type or cycle: "onetime", "OneTime" and
// "one_time" are one.
func billing(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "_", ""))
}

// getProduct answers "Get a product by ID" for a product some line item
// of the state has (its offer id's first part): its productType says its
// kind, as the catalogue does — Azure for an Azure plan, Software with a
// subtype for software subscriptions and perpetual software.
func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("product")
	s.mu.Lock()
	s.stats.Products++
	li := s.state.product(id)
	var body []byte
	if li != nil {
		kind := li.Kind
		if kind == "" {
			kind = PerpetualSoftware
		}
		pt := map[string]any{"id": "Software", "displayName": "Software"}
		switch kind {
		case AzurePlan:
			pt = map[string]any{"id": "Azure", "displayName": "Azure", "subType": map[string]any{"id": "AzurePlan", "displayName": "Azure plan"}}
		case PerpetualSoftware:
			pt["subType"] = map[string]any{"id": "PerpetualSoftware", "displayName": "Perpetual software"}
		case SoftwareSubscription:
			pt["subType"] = map[string]any{"id": "SoftwareSubscriptions", "displayName": "Software subscriptions"}
		}
		title, _, _ := strings.Cut(li.FriendlyName, " - ")
		self := "/products/" + id + "?country=US"
		body, _ = json.Marshal(map[string]any{
			"id": id, "title": title, "description": li.FriendlyName, "productType": pt,
			"isMicrosoftProduct": true, "publisherName": "Microsoft Corporation",
			"links": map[string]any{
				"skus": map[string]any{"uri": "/products/" + id + "/skus?country=US", "method": "GET", "headers": []any{}},
				"self": map[string]any{"uri": self, "method": "GET", "headers": []any{}},
			},
		})
	}
	s.mu.Unlock()
	if li == nil {
		writeError(w, http.StatusNotFound, 400013, fmt.Sprintf("Product %s was not found.", id))
		return
	}
	writeBody(w, http.StatusOK, body)
}

// cancelRequest is the PATCH body; unknown fields are ignored, as Partner
// Center ignores them.
type cancelRequest struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	LineItems []struct {
		LineItemNumber *int   `json:"lineItemNumber"`
		OfferID        string `json:"offerId"`
	} `json:"lineItems"`
}

func (s *Server) patchOrder(w http.ResponseWriter, r *http.Request) {
	reqID := r.Header.Get("MS-RequestId")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the client went away
	}

	s.mu.Lock()
	s.land()
	if prev, ok := s.replays[reqID]; ok && reqID != "" {
		// The same logical call again: answer what was answered, change nothing.
		s.stats.Replays++
		s.mu.Unlock()
		writeBody(w, prev.status, prev.body)
		return
	}
	s.stats.Patches++
	status, answer, changed := s.cancel(r, body, reqID)
	if changed != nil {
		if changed.pending {
			s.stats.Pending++
		} else {
			s.stats.Applied[changed.key]++
			s.took(changed.key, reqID, changed.lines)
		}
		s.save()
	} else if status >= 400 {
		s.stats.Rejected++
	}
	if reqID != "" {
		s.replays[reqID] = stored{status: status, body: answer}
	}
	s.mu.Unlock()

	if changed != nil {
		if s.opts.OnPatchApplied != nil {
			s.opts.OnPatchApplied(changed.customer, changed.order)
		}
		if d, ok := drawFrom(r.Context()); ok && s.faults().drop(d) {
			s.count(func(st *Stats) { st.Dropped++ })
			dropConnection(w)
			return
		}
	}
	writeBody(w, status, answer)
}

type change struct {
	key, customer, order string
	lines                []int
	pending              bool // accepted, carried out later
}

// cancel applies a cancellation request under s.mu and returns the answer,
// and what changed (nil when nothing did).
func (s *Server) cancel(r *http.Request, body []byte, reqID string) (int, []byte, *change) {
	fail := func(status int, code any, desc string) (int, []byte, *change) {
		b, _ := json.Marshal(errorBody(code, desc))
		return status, b, nil
	}
	rec := recorder{}
	c, o, ok := s.lookup(&rec, r)
	if !ok {
		return rec.status, rec.body, nil
	}
	var req cancelRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(http.StatusBadRequest, 2000, "The request body is not valid JSON: "+err.Error())
	}
	if req.ID != "" && req.ID != o.ID {
		return fail(http.StatusBadRequest, 2000, fmt.Sprintf("The order id in the body (%s) does not match the URL (%s).", req.ID, o.ID))
	}
	if !strings.EqualFold(req.Status, "cancelled") {
		return fail(http.StatusBadRequest, 2000, fmt.Sprintf("Unsupported status %q: only \"cancelled\" can be set.", req.Status))
	}
	if o.Status == "pending" {
		return fail(http.StatusBadRequest, 800061, "The order cannot be cancelled while it is pending.")
	}
	var targets []*LineItem
	if len(req.LineItems) == 0 {
		for _, li := range o.LineItems {
			if li.Quantity > 0 {
				targets = append(targets, li)
			}
		}
		if len(targets) == 0 {
			return fail(http.StatusBadRequest, 800063, "The order is already cancelled.")
		}
	}
	for _, ref := range req.LineItems {
		if ref.LineItemNumber == nil {
			return fail(http.StatusBadRequest, "800071", "Each line item needs a lineItemNumber.")
		}
		li := o.line(*ref.LineItemNumber)
		if li == nil {
			// Some Partner Center services send the code as a string.
			return fail(http.StatusBadRequest, "800071", fmt.Sprintf("Line item number %d does not exist on order %s.", *ref.LineItemNumber, o.ID))
		}
		if ref.OfferID != "" && !strings.EqualFold(ref.OfferID, li.OfferID) {
			return fail(http.StatusBadRequest, "800071", fmt.Sprintf("Line item %d has offer %s, not %s.", li.LineItemNumber, li.OfferID, ref.OfferID))
		}
		if li.Quantity == 0 {
			return fail(http.StatusBadRequest, 800063, fmt.Sprintf("Line item %d is already cancelled.", li.LineItemNumber))
		}
		targets = append(targets, li)
	}
	age := time.Duration(o.PurchasedDaysAgo * float64(24*time.Hour))
	for _, li := range targets {
		w, ok := window(li.Kind)
		if !ok {
			return fail(http.StatusForbidden, 800019, fmt.Sprintf("Line item %d (%s) cannot be cancelled through this API.", li.LineItemNumber, li.FriendlyName))
		}
		if age > w {
			return fail(http.StatusBadRequest, 900117, fmt.Sprintf("The %d-day cancellation window of line item %d has passed.", int(w/(24*time.Hour)), li.LineItemNumber))
		}
	}
	ch := &change{key: c.ID + "/" + o.ID, customer: c.ID, order: o.ID}
	for _, li := range targets {
		ch.lines = append(ch.lines, li.LineItemNumber)
	}
	if d, ok := drawFrom(r.Context()); ok && s.opts.Faults.pending(d) {
		// Accepted, not done: the answer is the order pending with its lines
		// as they are; the cancellation lands PendingDelay later.
		ch.pending = true
		o.Pending = append(o.Pending, &PendingCancel{RequestID: reqID, Lines: ch.lines, Due: s.now().Add(s.opts.Faults.PendingDelay).UTC()})
	} else {
		for _, li := range targets {
			li.Cancelled += li.Quantity
			li.Quantity = 0
		}
	}
	b, _ := json.Marshal(s.orderJSON(c, o, false))
	return http.StatusOK, b, ch
}

// orderJSON renders an order as Partner Center does, including fields the
// client does not use (links, attributes), so the client's tolerance of
// unknown fields is exercised on every call. withPrices adds each line's
// pricing, as "Get an order by ID" does with include_price=true (unless the
// state withholds prices, as for a caller who may not see them); the
// PATCH's answer carries none.
func (s *Server) orderJSON(c *Customer, o *Order, withPrices bool) map[string]any {
	self := "/customers/" + c.ID + "/orders/" + o.ID
	lines := make([]map[string]any, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		product, _, _ := strings.Cut(li.OfferID, ":")
		line := map[string]any{
			"lineItemNumber":  li.LineItemNumber,
			"offerId":         li.OfferID,
			"termDuration":    li.TermDuration,
			"transactionType": "New",
			"friendlyName":    li.FriendlyName,
			"quantity":        li.Quantity,
			"links": map[string]any{
				"product": map[string]any{"uri": "/products/" + product + "?country=US", "method": "GET", "headers": []any{}},
			},
		}
		if withPrices && !s.state.PricesHidden {
			if p := pricing(li); len(p) > 0 {
				line["pricing"] = p
			}
		}
		lines = append(lines, line)
	}
	created := s.now().Add(-time.Duration(o.PurchasedDaysAgo * float64(24*time.Hour))).UTC()
	return map[string]any{
		"id":                  o.ID,
		"alternateId":         o.alternateID(),
		"referenceCustomerId": c.ID,
		"billingCycle":        o.BillingCycle,
		"currencyCode":        o.currency(c),
		"lineItems":           lines,
		"creationDate":        created.Format(time.RFC3339Nano),
		"status":              o.status(),
		"transactionType":     "UserPurchase",
		"links": map[string]any{
			"self":           map[string]any{"uri": self, "method": "GET", "headers": []any{}},
			"patchOperation": map[string]any{"uri": self, "method": "PATCH", "headers": []any{}},
		},
		"client":     map[string]any{"name": "pcreconcile sandbox"},
		"attributes": map[string]any{"objectType": "Order"},
	}
}

// pricing is a line's pricing object: list price, the price the partner
// pays (also as the discounted price), and their extension by quantity.
func pricing(li *LineItem) map[string]any {
	p := map[string]any{}
	if li.ListPrice != "" {
		p["listPrice"] = li.ListPrice
	}
	if li.Price != "" {
		p["price"] = li.Price
		p["discountedPrice"] = li.Price
		p["extendedPrice"] = json.Number(li.price().Mul(decimal.NewFromInt(int64(li.Quantity))).String())
	}
	return p
}

func errorBody(code any, desc string) map[string]any {
	return map[string]any{"code": code, "description": desc, "data": []any{}, "source": "PartnerCenterSandbox"}
}

func writeError(w http.ResponseWriter, status int, code any, desc string) {
	writeJSON(w, status, errorBody(code, desc))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"description":"encoding failed"}`)
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// dropConnection closes the connection without an answer, as a load
// balancer does when a backend dies after doing the work.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST, not FIN: the client sees a reset connection
	}
	conn.Close()
}

type drawKey struct{}

func withDraw(ctx context.Context, d draw) context.Context {
	return context.WithValue(ctx, drawKey{}, d)
}

func drawFrom(ctx context.Context) (draw, bool) {
	d, ok := ctx.Value(drawKey{}).(draw)
	return d, ok
}

// recorder captures an error written by lookup so cancel can return
// it as a stored answer.
type recorder struct {
	status int
	body   []byte
	header http.Header
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = make(http.Header)
	}
	return r.header
}
func (r *recorder) Write(b []byte) (int, error) { r.body = append(r.body, b...); return len(b), nil }
func (r *recorder) WriteHeader(status int)      { r.status = status }
