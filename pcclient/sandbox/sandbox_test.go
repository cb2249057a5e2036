package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/samples"
)

const (
	contoso   = "4a7c2e91-5b3d-4f8a-9c1e-2d6b8f0a3c57"
	partial   = "Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0" // perpetual, 2 days old, 2 lines
	fabrikam  = "b81f6d04-7e2a-4c95-a3d8-5f0e1c9b2a76"
	expired   = "Tc1Gv6Nb9Kx4Pm2Wr7Zq0Hd5Lf8Js3Ya-" // subscription, 12 days old
	northwind = "e3d95b27-0c4f-4a61-8b7e-9f2a6c1d5e08"
	azurePlan = "Az4Rk9Wm2Tb7Xq5Nd0Vc3Lp8Hf1Gs6Ja_"
	tailspin  = "7c2b9e48-d1f3-4a0e-b6c5-3e8d0a4f9b12" // no relationship
	tailOrder = "Jq7Wb2Nx5Tr0Vk8Zd3Pm6Lc1Hf4Gs9Ya_"
)

func newSandbox(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	st, err := ReadState(bytes.NewReader(samples.SandboxSeed))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func send(t *testing.T, ts *httptest.Server, method, customer, order, body string, headers map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+"/v1/customers/"+customer+"/orders/"+order, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("answer is not JSON: %s", b)
		}
	}
	return answer{resp.StatusCode, resp.Header, m}
}

func quantities(a answer) []float64 {
	var q []float64
	for _, li := range a.body["lineItems"].([]any) {
		q = append(q, li.(map[string]any)["quantity"].(float64))
	}
	return q
}

func TestGetOrder(t *testing.T) {
	_, ts := newSandbox(t, Options{})
	a := send(t, ts, "GET", strings.ToUpper(contoso), partial, "", map[string]string{"MS-RequestId": "r1", "MS-CorrelationId": "c1"})
	if a.status != 200 || a.body["id"] != partial || a.body["status"] != "completed" {
		t.Fatalf("answer = %d %v", a.status, a.body)
	}
	if a.header.Get("MS-RequestId") != "r1" || a.header.Get("MS-CorrelationId") != "c1" {
		t.Errorf("ids not echoed: %v", a.header)
	}
	if fmt.Sprint(quantities(a)) != "[4 10]" {
		t.Errorf("quantities = %v", quantities(a))
	}
	created, err := time.Parse(time.RFC3339Nano, a.body["creationDate"].(string))
	if err != nil || time.Since(created) < 47*time.Hour || time.Since(created) > 49*time.Hour {
		t.Errorf("creationDate = %v, want about 2 days ago", a.body["creationDate"])
	}
}

func TestErrorsAndCodes(t *testing.T) {
	_, ts := newSandbox(t, Options{})
	tests := []struct {
		name, method, customer, order, body string
		headers                             map[string]string
		status                              int
		code                                any
	}{
		{"no token", "GET", contoso, partial, "", map[string]string{"Authorization": ""}, 401, 800001.0},
		{"unknown order", "GET", contoso, "nope", "", nil, 404, 20000.0},
		{"order of another customer", "GET", fabrikam, partial, "", nil, 404, 20000.0},
		{"no relationship", "GET", tailspin, tailOrder, "", nil, 403, 20002.0},
		{"unknown customer", "GET", "00000000-0000-0000-0000-000000000001", partial, "", nil, 403, 20002.0},
		{"outside window", "PATCH", fabrikam, expired, `{"id":"` + expired + `","status":"cancelled"}`, nil, 400, 900117.0},
		{"not cancellable", "PATCH", northwind, azurePlan, `{"id":"` + azurePlan + `","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"DZH318Z0BPS6:0001:DZH318Z0BNQF"}]}`, nil, 403, 800019.0},
		{"bad line number", "PATCH", contoso, partial, `{"id":"` + partial + `","status":"cancelled","lineItems":[{"lineItemNumber":7,"offerId":"X"}]}`, nil, 400, "800071"},
		{"wrong offer", "PATCH", contoso, partial, `{"id":"` + partial + `","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"WRONG"}]}`, nil, 400, "800071"},
		{"wrong status", "PATCH", contoso, partial, `{"id":"` + partial + `","status":"active"}`, nil, 400, 2000.0},
		{"id mismatch", "PATCH", contoso, partial, `{"id":"other","status":"cancelled"}`, nil, 400, 2000.0},
		{"not JSON", "PATCH", contoso, partial, `{`, nil, 400, 2000.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, ts, tt.method, tt.customer, tt.order, tt.body, tt.headers)
			if a.status != tt.status || a.body["code"] != tt.code || a.body["description"] == "" {
				t.Errorf("answer = %d %v, want %d code %v", a.status, a.body, tt.status, tt.code)
			}
		})
	}
}

func TestPatchCancelsLinesAndIsIdempotent(t *testing.T) {
	s, ts := newSandbox(t, Options{})
	body := `{"id":"` + partial + `","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}]}`
	a := send(t, ts, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-1"})
	if a.status != 200 || fmt.Sprint(quantities(a)) != "[0 10]" || a.body["status"] != "completed" {
		t.Fatalf("answer = %d %v", a.status, a.body)
	}
	// The same MS-RequestId again: the same answer, nothing applied twice.
	again := send(t, ts, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-1"})
	if again.status != 200 || fmt.Sprint(quantities(again)) != "[0 10]" {
		t.Errorf("replay = %d %v", again.status, again.body)
	}
	// A new request for the cancelled line is refused.
	refused := send(t, ts, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-2"})
	if refused.status != 400 || refused.body["code"] != 800063.0 {
		t.Errorf("second cancel = %d %v", refused.status, refused.body)
	}
	// Cancelling the rest makes the order cancelled.
	rest := send(t, ts, "PATCH", contoso, partial, `{"id":"`+partial+`","status":"cancelled","lineItems":[{"lineItemNumber":1,"offerId":"DG7GMGF0DVT7:000C:DG7GMGF0FVZM"}]}`, map[string]string{"MS-RequestId": "req-3"})
	if rest.body["status"] != "cancelled" {
		t.Errorf("order status = %v", rest.body["status"])
	}
	st := s.Stats()
	if st.Replays != 1 || st.Applied[contoso+"/"+partial] != 2 || st.LinesCancelled[contoso+"/"+partial+"/0"] != 1 || st.Rejected != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestThrottleAnswers429(t *testing.T) {
	s, ts := newSandbox(t, Options{Faults: Faults{Throttle: Throttle{RequestsPerMinute: 60, Burst: 2}}})
	var codes []int
	var last answer
	for range 4 {
		last = send(t, ts, "GET", contoso, partial, "", nil)
		codes = append(codes, last.status)
	}
	if fmt.Sprint(codes) != "[200 200 429 429]" {
		t.Fatalf("statuses = %v", codes)
	}
	if last.header.Get("Retry-After") != "1" || last.body["statusCode"] != 429.0 || !strings.Contains(last.body["message"].(string), "Try again in 1 seconds") {
		t.Errorf("429 answer = %v %v", last.header, last.body)
	}
	if s.Stats().Throttled != 2 {
		t.Errorf("throttled = %d", s.Stats().Throttled)
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	run := func(seed int64) string {
		_, ts := newSandbox(t, Options{Faults: Faults{Seed: seed, Error500: 0.2, Error503: 0.2, Busy: 0.2}})
		var out []string
		for range 30 {
			out = append(out, fmt.Sprint(send(t, ts, "GET", contoso, partial, "", nil).status))
		}
		return strings.Join(out, ",")
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Error("different seeds gave the same faults")
	}
	for _, want := range []string{"200", "500", "503", "409"} {
		if !strings.Contains(a, want) {
			t.Errorf("no %s among %s", want, a)
		}
	}
}

func TestDropAppliesThenClosesConnection(t *testing.T) {
	s, ts := newSandbox(t, Options{Faults: Faults{Drop: 1}})
	req, _ := http.NewRequest("PATCH", ts.URL+"/v1/customers/"+contoso+"/orders/"+partial,
		strings.NewReader(`{"id":"`+partial+`","status":"cancelled","lineItems":[{"lineItemNumber":1,"offerId":"DG7GMGF0DVT7:000C:DG7GMGF0FVZM"}]}`))
	req.Header.Set("Authorization", "Bearer t")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the PATCH got an answer; want a dropped connection")
	}
	if q, _ := s.Quantity(contoso, partial, 1); q != 0 {
		t.Errorf("quantity = %d, want 0: the PATCH must apply before the drop", q)
	}
	if st := s.Stats(); st.Dropped != 1 {
		t.Errorf("dropped = %d", st.Dropped)
	}
}

func TestStatePersistsAndResets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, _ := LoadState(path, samples.SandboxSeed, false)
	s, _ := New(st, Options{StatePath: path})
	ts := httptest.NewServer(s)
	defer ts.Close()
	send(t, ts, "PATCH", contoso, partial, `{"id":"`+partial+`","status":"cancelled"}`, nil)

	kept, err := LoadState(path, samples.SandboxSeed, false)
	if err != nil {
		t.Fatal(err)
	}
	if q := kept.customer(contoso).order(partial).LineItems[0].Quantity; q != 0 {
		t.Errorf("kept quantity = %d, want 0", q)
	}
	fresh, _ := LoadState(path, samples.SandboxSeed, true)
	if q := fresh.customer(contoso).order(partial).LineItems[0].Quantity; q != 4 {
		t.Errorf("reset quantity = %d, want the seed's 4", q)
	}
	os.WriteFile(path, []byte(`{"customers": [{"id": "x", "bogus": 1}]}`), 0o644)
	if _, err := LoadState(path, samples.SandboxSeed, false); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Errorf("corrupt state: err = %v, want a hint to --reset", err)
	}
}

func TestSeedValidation(t *testing.T) {
	for _, doc := range []string{
		`{"customers":[{"id":"","orders":[]}]}`,
		`{"customers":[{"id":"a","orders":[{"id":"o","lineItems":[]},{"id":"o","lineItems":[]}]}]}`,
		`{"customers":[{"id":"a","orders":[{"id":"o","lineItems":[{"lineItemNumber":0,"quantity":-1}]}]}]}`,
		`{"customers":[{"id":"a","orders":[{"id":"o","lineItems":[{"lineItemNumber":0,"quantity":1,"kind":"hardware"}]}]}]}`,
	} {
		if _, err := ReadState(strings.NewReader(doc)); err == nil {
			t.Errorf("ReadState(%s) accepted an invalid seed", doc)
		}
	}
}

// Prices come with include_price=true only, in the customer's currency,
// and not at all when the state withholds them.
func TestPricesOnRequest(t *testing.T) {
	_, ts := newSandbox(t, Options{})
	priced := func(a answer) string {
		li := a.body["lineItems"].([]any)[0].(map[string]any)
		p, ok := li["pricing"].(map[string]any)
		if !ok {
			return "none"
		}
		return fmt.Sprintf("%v %v %v", p["price"], p["listPrice"], p["extendedPrice"])
	}
	a := send(t, ts, "GET", contoso, partial+"?include_price=true", "", nil)
	if got := priced(a); got != "12373.2 13748 49492.8" || a.body["currencyCode"] != "USD" {
		t.Errorf("with include_price: %s %v", got, a.body["currencyCode"])
	}
	if b := send(t, ts, "GET", fabrikam, expired+"?include_price=true", "", nil); b.body["currencyCode"] != "EUR" {
		t.Errorf("Fabrikam's currency = %v, want EUR", b.body["currencyCode"])
	}
	if got := priced(send(t, ts, "GET", contoso, partial, "", nil)); got != "none" {
		t.Errorf("without include_price: %s", got)
	}

	st, _ := ReadState(bytes.NewReader(samples.SandboxSeed))
	st.PricesHidden = true
	s, _ := New(st, Options{})
	hidden := httptest.NewServer(s)
	defer hidden.Close()
	if got := priced(send(t, hidden, "GET", contoso, partial+"?include_price=true", "", nil)); got != "none" {
		t.Errorf("prices hidden: %s", got)
	}
}

// The pending fault: a PATCH is answered 200 with the order pending and
// its lines unchanged, the order reads pending until the delay has passed
// on the sandbox's clock, and then the lines are at 0 — also after the
// state was saved and opened again (the client may be gone by then). A
// second cancellation with another MS-RequestId while the first is
// pending is accepted and counted: that is what a client must never send.
func TestPendingCancellationLandsLater(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	state := filepath.Join(t.TempDir(), "state.json")
	st, _ := ReadState(bytes.NewReader(samples.SandboxSeed))
	s, err := New(st, Options{Now: clock, StatePath: state, Faults: Faults{Pending: 1, PendingDelay: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	body := `{"id":"` + partial + `","status":"cancelled","lineItems":[{"lineItemNumber":0,"offerId":"DG7GMGF0FKZV:0003:DG7GMGF0DWMS"}]}`
	a := send(t, ts, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-1"})
	if a.status != 200 || a.body["status"] != "pending" {
		t.Fatalf("PATCH: %d %v", a.status, a.body["status"])
	}
	if q := a.body["lineItems"].([]any)[0].(map[string]any)["quantity"]; q != 4.0 {
		t.Errorf("the pending answer shows quantity %v, want 4 (unchanged)", q)
	}
	now = now.Add(29 * time.Second)
	if g := send(t, ts, "GET", contoso, partial, "", nil); g.body["status"] != "pending" {
		t.Errorf("before the delay the order reads %v", g.body["status"])
	}
	if q, _ := s.Quantity(contoso, partial, 0); q != 4 {
		t.Errorf("quantity %d before the delay", q)
	}
	// Another request id while pending: accepted, and counted twice.
	send(t, ts, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-2"})
	now = now.Add(2 * time.Second) // the first is due, the second (sent at +29 s) is not
	g := send(t, ts, "GET", contoso, partial, "", nil)
	if g.body["status"] != "pending" || g.body["lineItems"].([]any)[0].(map[string]any)["quantity"] != 0.0 {
		t.Errorf("after the first delay: %v %v", g.body["status"], g.body["lineItems"])
	}
	now = now.Add(30 * time.Second)
	if g := send(t, ts, "GET", contoso, partial, "", nil); g.body["status"] != "completed" {
		t.Errorf("after both delays: %v", g.body["status"])
	}
	stats := s.Stats()
	key := contoso + "/" + partial
	if stats.Pending != 2 || stats.Landed != 2 || stats.Applied[key] != 1 || stats.LinesCancelled[key+"/0"] != 2 || len(stats.RequestIDs[key]) != 2 {
		t.Errorf("stats: pending %d landed %d applied %d cancelled %d ids %v", stats.Pending, stats.Landed, stats.Applied[key], stats.LinesCancelled[key+"/0"], stats.RequestIDs[key])
	}
	// The pending cancellation is part of the saved state.
	st2, _ := ReadState(bytes.NewReader(samples.SandboxSeed))
	s2, _ := New(st2, Options{Now: clock, Faults: Faults{Pending: 1, PendingDelay: time.Minute}})
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	send(t, ts2, "PATCH", contoso, partial, body, map[string]string{"MS-RequestId": "req-3"})
	if err := s2.state.Save(state); err != nil {
		t.Fatal(err)
	}
	reopened, err := Open(state, samples.SandboxSeed, false, Options{Now: func() time.Time { return now.Add(2 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := reopened.Quantity(contoso, partial, 0); q != 0 {
		t.Errorf("a pending cancellation saved with the state did not land after a restart: quantity %d", q)
	}
}

// The catalogue names each product's kind as Partner Center's does:
// Azure, or Software with a subtype.
func TestProductsTellTheirKind(t *testing.T) {
	s, ts := newSandbox(t, Options{})
	get := func(id string) (int, map[string]any) { return getJSON(t, ts, "/v1/products/"+id+"?country=US", "") }
	for id, want := range map[string]string{
		"DG7GMGF0FKZV": "Software/PerpetualSoftware", "DG7GMGF0D3PZ": "Software/SoftwareSubscriptions",
	} {
		status, m := get(id)
		pt, _ := m["productType"].(map[string]any)
		sub, _ := pt["subType"].(map[string]any)
		if got := fmt.Sprint(pt["id"], "/", sub["id"]); status != 200 || got != want || m["id"] != id {
			t.Errorf("%s: %d %s, want %s", id, status, got, want)
		}
	}
	// The Azure plan line of the seed.
	o := s.state.customer(northwind).order(azurePlan)
	id, _, _ := strings.Cut(o.LineItems[0].OfferID, ":")
	if status, m := get(id); status != 200 || m["productType"].(map[string]any)["id"] != "Azure" {
		t.Errorf("the Azure plan's product %s: %d %v", id, status, m)
	}
	if status, _ := get("NOSUCHPRODUCT"); status != 404 {
		t.Errorf("an unknown product: %d", status)
	}
	if s.Stats().Products != 4 {
		t.Errorf("catalogue reads counted: %d", s.Stats().Products)
	}
}

// The customer list pages as Partner Center's does: links.next with a
// path relative to the API root and the continuation token to send; the
// order list answers per billing type, and 403 for a customer without a
// relationship.
func TestListsPage(t *testing.T) {
	s, ts := newSandbox(t, Options{PageSize: 2})
	get := func(path, token string) (int, map[string]any) { return getJSON(t, ts, path, token) }
	var ids []string
	path, token := "/v1/customers?size=40", ""
	for pages := 0; ; pages++ {
		status, m := get(path, token)
		if status != 200 || pages > 5 {
			t.Fatalf("page %d: %d %v", pages, status, m)
		}
		for _, it := range m["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		next, ok := m["links"].(map[string]any)["next"].(map[string]any)
		if !ok {
			break
		}
		path = "/v1" + next["uri"].(string)
		token = next["headers"].([]any)[0].(map[string]any)["value"].(string)
	}
	if len(ids) != len(s.state.Customers) || s.Stats().Lists != 2 {
		t.Errorf("customers %v in %d pages", ids, s.Stats().Lists)
	}
	if status, _ := get("/v1/customers", "bm90LWEtdG9rZW4"); status != 400 {
		t.Errorf("a made-up token: %d", status)
	}
	count := func(bt string) int {
		n := 0
		path, token := "/v1/customers/"+contoso+"/orders?billingType="+bt, ""
		for {
			status, m := get(path, token)
			if status != 200 {
				t.Fatalf("%s: %d %v", bt, status, m)
			}
			for _, it := range m["items"].([]any) {
				if cycle := it.(map[string]any)["billingCycle"]; strings.ReplaceAll(cycle.(string), "_", "") != bt {
					t.Errorf("billingType %s lists a %s order", bt, cycle)
				}
				n++
			}
			next, ok := m["links"].(map[string]any)["next"].(map[string]any)
			if !ok {
				return n
			}
			path = "/v1" + next["uri"].(string)
			token = next["headers"].([]any)[0].(map[string]any)["value"].(string)
		}
	}
	if one, monthly := count("onetime"), count("monthly"); one != 2 || monthly != 1 {
		t.Errorf("Contoso: %d one-time orders, %d monthly", one, monthly)
	}
	if status, m := get("/v1/customers/"+tailspin+"/orders?billingType=onetime", ""); status != 403 || fmt.Sprint(m["code"]) != "20002" {
		t.Errorf("no relationship: %d %v", status, m)
	}
}

// getJSON GETs path of the sandbox (with a continuation token, when given)
// and decodes the answer.
func getJSON(t *testing.T, ts *httptest.Server, path, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer t")
	if token != "" {
		req.Header.Set("MS-ContinuationToken", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
