package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/plan/plantest"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
	"github.com/pcreconcile/pcreconcile/samples"
)

// recorded is one request the sandbox received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests(method string) []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []recorded
	for _, r := range rec.reqs {
		if method == "" || r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

type env struct {
	sb     *sandbox.Server
	client *pcclient.Client
	rec    *recorder
	url    string
}

// newEnv starts the sandbox (seeded from samples/sandbox.json) on a real
// socket, and a client for it that retries without delay.
func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	st, err := sandbox.ReadState(bytes.NewReader(samples.SandboxSeed))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: sb}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return &env{sb: sb, client: pctest.Client(t, srv.URL), rec: rec, url: srv.URL}
}

func newJournal(t *testing.T) *journal.Journal {
	t.Helper()
	j, err := journal.Create(filepath.Join(t.TempDir(), "r.xlsx.journal"), journal.Header{RunID: "run-test", Mode: record.Run})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// results runs p and returns its lines keyed "row/line".
func (e *env) run(t *testing.T, p *plan.Plan, dry bool) (map[string]record.LineResult, *journal.Journal, error) {
	t.Helper()
	j := newJournal(t)
	r := &Runner{Client: e.client, Concurrency: 4, DryRun: dry, RunID: "run-test", Journal: j}
	err := r.Run(t.Context(), p)
	return collect(t, p, j), j, err
}

func collect(t testing.TB, p *plan.Plan, recs Records) map[string]record.LineResult {
	t.Helper()
	out := map[string]record.LineResult{}
	for it, err := range Outcomes(p, recs, "run-test") {
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range it.Result.Lines {
			out[lineKeyOf(l)] = l
		}
	}
	return out
}

func lineKeyOf(l record.LineResult) string {
	line := l.LineText
	if l.Line != nil {
		line = fmt.Sprint(*l.Line)
	}
	return fmt.Sprintf("%d/%s", l.Row, line)
}

func samplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	h, _ := plan.NewHeaders(nil)
	p, err := plan.ReadFile("../../samples/cancellations.csv", plan.ReadOptions{Headers: h, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSampleRunGivesEveryStatus runs the sample sheet against the sandbox:
// every line status appears where the seed says it must, with the
// quantities before and after.
func TestSampleRunGivesEveryStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, _, err := e.run(t, samplePlan(t), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // row/line: status before→after
		"2/0":    "cancelled 4→0",         // partial order: line 1 stays
		"3/0":    "cancelled 25→0",        // both lines of an order
		"4/1":    "cancelled 3→0",         //
		"5/0":    "cancelled 2→0",         // a whole-order row expands
		"5/1":    "cancelled 50→0",        //
		"5/2":    "cancelled 1→0",         //
		"6/0":    "already_cancelled 0→0", // at 0 before the run
		"7/0":    "outside_window 12→12",  // 900117
		"8/0":    "not_cancellable 1→1",   // 800019
		"9/0":    "mismatch 8→8",          // offer id differs
		"10/0":   "mismatch 6→6",          // expected quantity differs
		"11/4":   "invalid -→-",           // no line 4 on the order
		"12/0":   "not_found -→-",         // 404
		"13/0":   "rejected -→-",          // 403 no relationship
		"14/0":   "duplicate -→-",         // row 3 again
		"15/1":   "invalid -→-",           // bad GUID
		"16/2.5": "invalid -→-",           // bad line
		"17/1":   "invalid -→-",           // no order id
	}
	for key, w := range want {
		l, ok := got[key]
		if !ok {
			t.Errorf("no line %s in the results", key)
			continue
		}
		if g := fmt.Sprintf("%s %s→%s", l.Status, qty(l.Before), qty(l.After)); g != w {
			t.Errorf("line %s: %s, want %s (%s)", key, g, w, l.ErrorMessage)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d", len(got), len(want))
	}
	// The partial order ends completed, the whole one cancelled.
	if got["2/0"].OrderAfter != "completed" || got["4/1"].OrderAfter != "cancelled" || got["5/2"].OrderAfter != "cancelled" {
		t.Errorf("order statuses after: %s %s %s", got["2/0"].OrderAfter, got["4/1"].OrderAfter, got["5/2"].OrderAfter)
	}
	if q, _ := e.sb.Quantity("4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57", "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0", 1); q != 10 {
		t.Errorf("the line the sheet did not name has quantity %d, want 10", q)
	}
	if l := got["7/0"]; l.ErrorCode != "900117" || l.Extras[0].Text != "Fabrikam Logistics" {
		t.Errorf("outside_window line = %+v", l)
	}
	if l := got["11/4"]; !strings.Contains(l.ErrorMessage, "has no line item 4 (its lines: 0, 1)") {
		t.Errorf("invalid order message = %q", l.ErrorMessage)
	}
}

// TestMissingLineHoldsTheWholeOrderUnchanged: a sheet naming a line the
// order does not have is wrong about the order, so none of it is sent; the
// line that does exist is invalid too, and shows it kept its quantity.
func TestMissingLineHoldsTheWholeOrderUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	const c = "e3d95b27-0c4f-4a61-8b7e-9f2a6c1d5e08"
	p := plantest.Read(t, "Customer Tenant ID,Order ID,Line Item Number\n"+
		c+",Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya-,0\n"+
		c+",Rx9Bq4Wm1Tz6Kd3Vn8Pc5Lf0Hg2Js7Ya-,9\n")
	got, _, err := e.run(t, p, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.requests("PATCH")); n != 0 {
		t.Errorf("%d PATCHes sent for an order the sheet is wrong about", n)
	}
	l := got["2/0"]
	if l.Status != record.Invalid || l.Before == nil || l.After == nil || *l.Before != 20 || *l.After != 20 {
		t.Errorf("existing line = %s before %v after %v, want invalid 20→20", l.Status, qty(l.Before), qty(l.After))
	}
	if m := got["3/9"]; m.Status != record.Invalid || m.Before != nil || !strings.Contains(m.ErrorMessage, "has no line item 9") {
		t.Errorf("missing line = %+v", m)
	}
}

func TestPatchBodiesCarryOnlyActiveLinesWithOffersFromTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	p := plantest.Read(t, "Customer Tenant ID,Order ID,Line Item Number,Offer ID\n"+
		plantest.CustomerA+",Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0,0,\n"+ // one line of two; no offer in the sheet
		plantest.CustomerA+",Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_,*,\n"+ // every line, all active: whole-order PATCH
		plantest.CustomerB+",Pd8Yt3Mk6Wq0Rz5Xb1Nc9Vf4Lh7Js2Ga_,*,\n"+ // every line, line 0 already at 0
		plantest.CustomerB+",Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-,2,dg7gmgf0dwhj:0001:dg7gmgf0dpw3\n") // offer in lower case
	got, _, err := e.run(t, p, false)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for _, r := range e.rec.requests("PATCH") {
		order := r.Path[strings.LastIndex(r.Path, "/")+1:]
		var v any
		json.Unmarshal(r.Body, &v)
		b, _ := json.Marshal(v)
		bodies[order] = string(b)
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("PATCH %s Content-Type = %q", order, r.Header.Get("Content-Type"))
		}
	}
	want := map[string]string{
		"Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0": `{"id":"Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0","lineItems":[{"lineItemNumber":0,"offerId":"DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}],"status":"cancelled"}`,
		"Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_": `{"id":"Hs3Nq8Wd1Zk6Tm0Xc4Vr9Bp2Jf7Lg5Ya_","status":"cancelled"}`,
		"Pd8Yt3Mk6Wq0Rz5Xb1Nc9Vf4Lh7Js2Ga_": `{"id":"Pd8Yt3Mk6Wq0Rz5Xb1Nc9Vf4Lh7Js2Ga_","lineItems":[{"lineItemNumber":1,"offerId":"DG7GMGF0D65N:0004:DG7GMGF0DBH4"}],"status":"cancelled"}`,
		"Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-": `{"id":"Wn5Kx2Rb8Tq1Vm7Zd4Pc0Lf9Hs3Gj6Ya-","lineItems":[{"lineItemNumber":2,"offerId":"DG7GMGF0DWHJ:0001:DG7GMGF0DPW3"}],"status":"cancelled"}`,
	}
	for order, w := range want {
		if bodies[order] != w {
			t.Errorf("PATCH %s body\n got %s\nwant %s", order, bodies[order], w)
		}
	}
	if len(bodies) != len(want) {
		t.Errorf("%d PATCHes, want %d", len(bodies), len(want))
	}
	if got["4/0"].Status != record.AlreadyCancelled || got["4/1"].Status != record.Cancelled {
		t.Errorf("every-line row with a line at 0: %s, %s", got["4/0"].Status, got["4/1"].Status)
	}
}

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestEveryRequestCarriesTheDocumentedHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, _, err := e.run(t, samplePlan(t), false)
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.rec.requests("")
	orderGets, products := 0, map[string]int{}
	for _, r := range e.rec.requests("GET") {
		if id, ok := strings.CutPrefix(r.Path, "/v1/products/"); ok {
			products[id]++
		} else {
			orderGets++
		}
	}
	if patches := len(e.rec.requests("PATCH")); orderGets != 11 || patches != 5 {
		t.Fatalf("%d order GETs and %d PATCHes, want one GET per order (11) and a PATCH per order with active lines (5)", orderGets, patches)
	}
	// Each product's catalogue entry is read once in a run.
	if len(products) != 6 {
		t.Errorf("catalogue reads %v, want the 6 products of the orders read, once each", products)
	}
	for id, n := range products {
		if n != 1 {
			t.Errorf("product %s read %d times", id, n)
		}
	}
	ids := map[string]bool{}
	for _, r := range reqs {
		h := r.Header
		if h.Get("Authorization") != "Bearer t" || h.Get("Accept") != "application/json" || h.Get("MS-Contract-Version") != "v1" {
			t.Errorf("%s %s headers: %v", r.Method, r.Path, h)
		}
		id, corr := h.Get("MS-RequestId"), h.Get("MS-CorrelationId")
		if !guid.MatchString(id) || !guid.MatchString(corr) {
			t.Errorf("%s %s ids %q %q", r.Method, r.Path, id, corr)
		}
		if ids[id] {
			t.Errorf("MS-RequestId %s reused by a new logical call", id)
		}
		ids[id] = true
	}
	// The report quotes the ids of the last call of each order.
	l := got["2/0"]
	var patchID string
	for _, r := range e.rec.requests("PATCH") {
		if strings.HasSuffix(r.Path, "/Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0") {
			patchID = r.Header.Get("MS-RequestId")
		}
	}
	if l.RequestID != patchID || l.Attempts != 2 {
		t.Errorf("line 2/0 request id %s attempts %d, want the PATCH's %s and 2 (GET + PATCH)", l.RequestID, l.Attempts, patchID)
	}
}

func TestPlanSendsNoPatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, _, err := e.run(t, samplePlan(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.requests("PATCH")); n != 0 {
		t.Errorf("plan sent %d PATCHes", n)
	}
	for key, want := range map[string]record.Status{"2/0": record.WouldCancel, "5/1": record.WouldCancel, "6/0": record.AlreadyCancelled, "9/0": record.Mismatch, "12/0": record.NotFound} {
		if got[key].Status != want {
			t.Errorf("plan line %s = %s, want %s", key, got[key].Status, want)
		}
	}
	if l := got["2/0"]; qty(l.Before) != "4" || qty(l.After) != "4" {
		t.Errorf("would_cancel quantities %s→%s, want 4→4", qty(l.Before), qty(l.After))
	}
}

func TestRerunFindsEverythingAlreadyCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	if _, _, err := e.run(t, samplePlan(t), false); err != nil {
		t.Fatal(err)
	}
	patches := len(e.rec.requests("PATCH"))
	got, _, err := e.run(t, samplePlan(t), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"2/0", "3/0", "4/1", "5/0", "5/1", "5/2"} {
		if got[key].Status != record.AlreadyCancelled {
			t.Errorf("second run: line %s is %s, want already_cancelled", key, got[key].Status)
		}
	}
	// The second run PATCHes only what the first could not finish
	// (outside_window and not_cancellable are refused again).
	if n := len(e.rec.requests("PATCH")) - patches; n != 2 {
		t.Errorf("second run sent %d PATCHes, want 2", n)
	}
	if st := e.sb.Stats(); len(st.LinesCancelled) != 6 {
		t.Errorf("lines set to 0: %v", st.LinesCancelled)
	}
}

// authFailing answers 401 to everything, as Partner Center does to a token
// of the wrong tenant.
func TestAuthFailuresAbortTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Authorize: func(string) bool { return false }})
	p := samplePlan(t)
	j := newJournal(t)
	r := &Runner{Client: e.client, Concurrency: 1, RunID: "run-test", Journal: j}
	err := r.Run(t.Context(), p)
	if !errors.Is(err, ErrAuthAborted) {
		t.Fatalf("err = %v, want ErrAuthAborted", err)
	}
	if j.Len() != 3 {
		t.Errorf("%d orders tried before aborting, want 3", j.Len())
	}
	got := collect(t, p, j)
	var pending, failed int
	for _, l := range got {
		switch l.Status {
		case record.Pending:
			pending++
		case record.Failed:
			failed++
		}
	}
	if failed != 3 || pending == 0 {
		t.Errorf("failed %d, pending %d", failed, pending)
	}
	if n := len(e.rec.requests("")); n != 6 {
		t.Errorf("%d requests, want 6 (3 orders × a 401 and one retry after refreshing)", n)
	}
}

type hookProgress struct{ add func() }

func (h hookProgress) Start(int) {}
func (h hookProgress) Add(int)   { h.add() }
func (h hookProgress) Finish()   {}

func TestCancelStopsDispatchAndLeavesTheRestPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	p := samplePlan(t)
	j := newJournal(t)
	ctx, cancel := context.WithCancel(t.Context())
	r := &Runner{Client: e.client, Concurrency: 1, RunID: "run-test", Journal: j, Progress: hookProgress{cancel}}
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	if j.Len() != 1 {
		t.Errorf("%d orders finished after the cancel, want exactly the one in flight", j.Len())
	}
	got := collect(t, p, j)
	var pending []string
	for k, l := range got {
		if l.Status == record.Pending {
			pending = append(pending, k)
		}
	}
	sort.Strings(pending)
	if len(pending) < 9 {
		t.Errorf("pending lines = %v", pending)
	}
	for _, l := range got {
		if l.Status == record.Pending && l.RunID != "run-test" {
			t.Errorf("pending line %s has run id %q", lineKeyOf(l), l.RunID)
		}
	}
}

func TestFairOrderInterleavesCustomers(t *testing.T) {
	t.Parallel()
	csv := "Customer ID,Order ID,Line\n"
	for i := range 4 {
		csv += fmt.Sprintf("%s,a%d,0\n", plantest.CustomerA, i)
	}
	csv += plantest.CustomerB + ",b0,0\n" + plantest.CustomerB + ",b1,0\n"
	var got []string
	for _, o := range FairOrder(plantest.Read(t, csv)) {
		got = append(got, o.ID)
	}
	if strings.Join(got, " ") != "a0 b0 a1 b1 a2 a3" {
		t.Errorf("dispatch order = %v", got)
	}
}

// With a per-customer limit, a customer with many orders must not hold up
// the others: their orders are dispatched between its orders and finish
// early instead of queueing behind all of them.
func TestPerCustomerLimitDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	st, _ := rateWorld(0)
	big, small := st.Customers[0], st.Customers[1]
	csv := "Customer Tenant ID,Order ID,Line Item Number\n"
	for i := range 12 {
		id := fmt.Sprintf("A%02d", i)
		big.Orders = append(big.Orders, &sandbox.Order{ID: id, PurchasedDaysAgo: 1, LineItems: []*sandbox.LineItem{{OfferID: "O", Quantity: 1}}})
		csv += big.ID + "," + id + ",0\n"
	}
	for i := range 2 {
		id := fmt.Sprintf("B%02d", i)
		small.Orders = append(small.Orders, &sandbox.Order{ID: id, PurchasedDaysAgo: 1, LineItems: []*sandbox.LineItem{{OfferID: "O", Quantity: 1}}})
		csv += small.ID + "," + id + ",0\n"
	}
	sb, _ := sandbox.New(st, sandbox.Options{})
	var mu sync.Mutex
	var finished []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb.ServeHTTP(w, r)
		if r.Method == http.MethodPatch {
			mu.Lock()
			finished = append(finished, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
			mu.Unlock()
		}
	}))
	defer srv.Close()
	client := pctest.Client(t, srv.URL, pcclient.WithLimiter(pcclient.NewPacer(pcclient.PacerOptions{RequestsPerMinute: 60000, CustomerRequestsPerMinute: 900})))
	p := plantest.Read(t, csv) // the sheet lists all of A's orders first
	j := newJournal(t)
	r := &Runner{Client: client, Concurrency: 4, Journal: j}
	if err := r.Run(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range finished {
		pos[id] = i
	}
	if len(finished) != 14 || pos["B00"] > 4 || pos["B01"] > 6 {
		t.Errorf("completion order %v: B's two orders must not wait behind A's twelve", finished)
	}
}
