package run

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/oauth2"

	"github.com/pcreconcile/pcreconcile/batch/journal"
	"github.com/pcreconcile/pcreconcile/batch/plan/plantest"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/pcclient"
	"github.com/pcreconcile/pcreconcile/pcclient/pctest"
)

// hostile imitates Partner Center with answers a test chooses: orders it
// keeps and cancels like the real one, and per-order hooks that answer
// instead — wrongly, late, or not at all.
type hostile struct {
	mu     sync.Mutex
	orders map[string]*pcclient.Order
	// get and patch, when set for an order id, answer instead of the
	// default; they return false to fall through to it.
	get, patch map[string]func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool
	calls      map[string]int // "GET o1", "PATCH o1"
	requestIDs map[string][]string
}

func newHostile() *hostile {
	return &hostile{
		orders:     map[string]*pcclient.Order{},
		get:        map[string]func(http.ResponseWriter, *http.Request, *pcclient.Order) bool{},
		patch:      map[string]func(http.ResponseWriter, *http.Request, *pcclient.Order) bool{},
		calls:      map[string]int{},
		requestIDs: map[string][]string{},
	}
}

// add keeps an order with lines numbered from 0 at the given quantities,
// each unit at 10.00 EUR.
func (h *hostile) add(id string, quantities ...int) {
	o := &pcclient.Order{ID: id, Status: "completed", CurrencyCode: "EUR", CreationDate: "2026-11-20T10:00:00Z"}
	for i, q := range quantities {
		o.LineItems = append(o.LineItems, pcclient.LineItem{LineItemNumber: i, OfferID: fmt.Sprintf("OFFER-%d", i), Quantity: q,
			Pricing: &pcclient.Pricing{Price: pcclient.Amount{Value: decimal.RequireFromString("10.00"), Valid: true}}})
	}
	h.orders[id] = o
}

func (h *hostile) quantity(id string, line int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.orders[id].Line(line).Quantity
}

func (h *hostile) setQuantity(id string, line, q int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.orders[id].Line(line).Quantity = q
}

func (h *hostile) count(call string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[call]
}

// apply cancels what a PATCH body asks for.
func (h *hostile) apply(r *http.Request, o *pcclient.Order) {
	var body struct {
		LineItems []pcclient.LineItemRef `json:"lineItems"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(body.LineItems) == 0 {
		for i := range o.LineItems {
			o.LineItems[i].Quantity = 0
		}
		return
	}
	for _, ref := range body.LineItems {
		if li := o.Line(ref.LineItemNumber); li != nil {
			li.Quantity = 0
		}
	}
}

func (h *hostile) write(w http.ResponseWriter, o *pcclient.Order) {
	h.mu.Lock()
	b, _ := json.Marshal(o)
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	h.mu.Lock()
	o := h.orders[id]
	h.calls[r.Method+" "+id]++
	h.requestIDs[r.Method+" "+id] = append(h.requestIDs[r.Method+" "+id], r.Header.Get("MS-RequestId"))
	hook := h.get[id]
	if r.Method == http.MethodPatch {
		hook = h.patch[id]
	}
	h.mu.Unlock()
	if o == nil {
		http.Error(w, `{"code":20000,"description":"Order not found"}`, http.StatusNotFound)
		return
	}
	if hook != nil && hook(w, r, o) {
		return
	}
	if r.Method == http.MethodPatch {
		h.apply(r, o)
	}
	h.write(w, o)
}

// refuse answers a Partner Center error.
func refuse(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%q,"description":%q}`, code, description)
}

// dropAfter applies the PATCH and then drops the connection unanswered.
func (h *hostile) dropAfter(w http.ResponseWriter, r *http.Request, o *pcclient.Order) {
	h.apply(r, o)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func (h *hostile) start(t *testing.T, opts ...pcclient.Option) *pcclient.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return pctest.Client(t, srv.URL, opts...)
}

// runHostile runs csv (rows of customer plantest.CustomerA) against h and returns its
// lines keyed "row/line" and the journal.
func runHostile(t *testing.T, h *hostile, csv string, opts ...pcclient.Option) (map[string]record.LineResult, *journal.Journal) {
	t.Helper()
	p := plantest.Read(t, "Customer ID,Order ID,Line\n"+strings.ReplaceAll(csv, "C,", plantest.CustomerA+","))
	j := newJournal(t)
	r := &Runner{Client: h.start(t, opts...), Concurrency: 4, RunID: "run-test", Journal: j}
	if err := r.Run(t.Context(), p); err != nil {
		t.Fatalf("the run did not finish: %v", err)
	}
	return collect(t, p, j), j
}

func TestOrdersWithoutLineItemsNeverStopTheRun(t *testing.T) {
	t.Parallel()
	h := newHostile()
	for _, id := range []string{"null", "absent", "empty", "numbered"} {
		h.add(id, 1)
	}
	h.add("fine", 4)
	bodies := map[string]string{
		"null":     `{"id":"null","status":"completed","lineItems":null}`,
		"absent":   `{"id":"absent","status":"completed"}`,
		"empty":    `{"id":"empty","status":"completed","lineItems":[]}`,
		"numbered": `{"id":"numbered","status":"completed","lineItems":[]}`,
	}
	for id, body := range bodies {
		h.get[id] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
			w.Write([]byte(body))
			return true
		}
	}
	got, _ := runHostile(t, h, "C,null,*\nC,absent,*\nC,empty,*\nC,numbered,0\nC,fine,*\n")
	for key, want := range map[string]record.Status{"2/*": record.Invalid, "3/*": record.Invalid, "4/*": record.Invalid, "5/0": record.Failed, "6/0": record.Cancelled} {
		l, ok := got[key]
		if !ok || l.Status != want {
			t.Errorf("line %s = %s (%q), want %s", key, l.Status, l.ErrorMessage, want)
			continue
		}
		if want != record.Cancelled && !strings.Contains(l.ErrorMessage, "lists no line items") {
			t.Errorf("line %s says %q", key, l.ErrorMessage)
		}
	}
	for _, id := range []string{"null", "absent", "empty", "numbered"} {
		if n := h.count("PATCH " + id); n != 0 {
			t.Errorf("%d PATCHes sent for order %s", n, id)
		}
	}
}

func TestRowForEveryLineWithNoLineLeftIsADuplicate(t *testing.T) {
	t.Parallel()
	h := newHostile()
	h.add("o1", 2)
	got, _ := runHostile(t, h, "C,o1,0\nC,o1,*\n")
	if got["2/0"].Status != record.Cancelled || got["3/*"].Status != record.Duplicate {
		t.Errorf("lines = %v / %v", got["2/0"].Status, got["3/*"].Status)
	}
}

// A PATCH answered "already cancelled" or "not cancellable" is decided from
// the order read again, never from the quantities read before it.
func TestRefusalsAfterThePatchAreCheckedByReadingTheOrder(t *testing.T) {
	t.Parallel()
	h := newHostile()
	// o1: the first attempt is applied and its answer lost; the re-send is
	// answered 800063 by a server that does not replay by MS-RequestId.
	h.add("o1", 5)
	first := true
	h.patch["o1"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		if first {
			first = false
			h.dropAfter(w, r, o)
			return true
		}
		refuse(w, http.StatusBadRequest, "800063", "Line item already cancelled")
		return true
	}
	// The verification GETs between the attempts fail, so the re-send goes.
	h.get["o1"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		if h.count("PATCH o1") == 1 {
			refuse(w, http.StatusInternalServerError, "", "busy")
			return true
		}
		return false
	}
	// o2: someone else cancelled the line between our GET and PATCH.
	h.add("o2", 3)
	h.patch["o2"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		h.setQuantity("o2", 0, 0)
		refuse(w, http.StatusBadRequest, "800063", "Line item already cancelled")
		return true
	}
	// o3: not cancellable, and the quantity changed since our GET.
	h.add("o3", 7)
	h.patch["o3"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		h.setQuantity("o3", 0, 3)
		refuse(w, http.StatusBadRequest, "800061", "Order cannot be cancelled")
		return true
	}
	// o4: 800063, and reading the order again fails.
	h.add("o4", 2)
	h.patch["o4"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		h.get["o4"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
			refuse(w, http.StatusServiceUnavailable, "", "down")
			return true
		}
		refuse(w, http.StatusBadRequest, "800063", "Line item already cancelled")
		return true
	}
	got, _ := runHostile(t, h, "C,o1,0\nC,o2,0\nC,o3,0\nC,o4,0\n")
	tests := []struct {
		key           string
		status        record.Status
		before, after string
		amount        string
	}{
		{"2/0", record.Cancelled, "5", "0", "50"},
		{"3/0", record.AlreadyCancelled, "3", "0", "0"},
		{"4/0", record.NotCancellable, "7", "3", "0"},
		{"5/0", record.Failed, "2", "-", "0"},
	}
	for _, tt := range tests {
		l := got[tt.key]
		if l.Status != tt.status || qty(l.Before) != tt.before || qty(l.After) != tt.after || l.AmountCancelled().Decimal.String() != tt.amount {
			t.Errorf("line %s: %s %s→%s amount %s (%q); want %s %s→%s amount %s", tt.key, l.Status, qty(l.Before), qty(l.After),
				l.AmountCancelled().Decimal.String(), l.ErrorMessage, tt.status, tt.before, tt.after, tt.amount)
		}
	}
	if l := got["5/0"]; !l.Unsettled() {
		t.Errorf("o4's line is not unsettled: %+v", l)
	}
	if ids := h.requestIDs["PATCH o1"]; len(ids) != 2 || ids[0] != ids[1] {
		t.Errorf("o1's PATCHes carried MS-RequestIds %v, want one id twice", ids)
	}
}

func TestImplausibleAnswersAreNotBelieved(t *testing.T) {
	t.Parallel()
	h := newHostile()
	gets := map[string]string{
		"other":    `{"id":"someone-else","lineItems":[{"lineItemNumber":0,"offerId":"X","quantity":1}]}`,
		"negative": `{"id":"negative","lineItems":[{"lineItemNumber":0,"offerId":"X","quantity":-7}]}`,
		"twice":    `{"id":"twice","lineItems":[{"lineItemNumber":0,"offerId":"X","quantity":1},{"lineItemNumber":0,"offerId":"Y","quantity":4}]}`,
		"offer":    `{"id":"offer","lineItems":[{"lineItemNumber":0,"offerId":"X\"><script>","quantity":1}]}`,
		"fraction": `{"id":"fraction","lineItems":[{"lineItemNumber":0,"offerId":"X","quantity":2.5}]}`,
	}
	for id, body := range gets {
		h.add(id, 1)
		h.get[id] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
			w.Write([]byte(body))
			return true
		}
	}
	// A PATCH answered for another order: applied here, so the GET after it
	// shows the line cancelled.
	h.add("patched", 4)
	h.patch["patched"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		h.apply(r, o)
		w.Write([]byte(`{"id":"not-this-one","lineItems":[{"lineItemNumber":0,"offerId":"OFFER-0","quantity":0}]}`))
		return true
	}
	// A PATCH answered with a negative quantity and not applied.
	h.add("minus", 4)
	h.patch["minus"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		w.Write([]byte(`{"id":"minus","lineItems":[{"lineItemNumber":0,"offerId":"OFFER-0","quantity":-7}]}`))
		return true
	}
	got, _ := runHostile(t, h, "C,other,0\nC,negative,0\nC,twice,0\nC,offer,0\nC,fraction,0\nC,patched,0\nC,minus,0\n")
	for key, why := range map[string]string{"2/0": `the answer is for order "someone-else"`, "3/0": "quantity -7", "4/0": "line item 0 appears twice", "5/0": "is not an offer id", "6/0": "decoding answer"} {
		if l := got[key]; l.Status != record.Failed || !strings.Contains(l.ErrorMessage, why) || l.Before != nil {
			t.Errorf("line %s: %s before %s (%q), want failed saying %q", key, l.Status, qty(l.Before), l.ErrorMessage, why)
		}
	}
	for id := range gets {
		if h.count("PATCH "+id) != 0 {
			t.Errorf("a PATCH was sent for %s", id)
		}
	}
	if n := h.count("GET other"); n != 1 {
		t.Errorf("an implausible answer was asked again %d times", n-1)
	}
	if l := got["7/0"]; l.Status != record.Cancelled || qty(l.After) != "0" || !strings.Contains(l.ErrorMessage, "a GET shows the line cancelled") {
		t.Errorf("PATCH answered for another order: %s →%s (%q)", l.Status, qty(l.After), l.ErrorMessage)
	}
	if l := got["8/0"]; l.Status != record.NotCancelled || qty(l.After) != "4" || strings.Contains(qty(l.After), "-") {
		t.Errorf("PATCH answered with a negative quantity: %s →%s (%q)", l.Status, qty(l.After), l.ErrorMessage)
	}
}

func TestServerTextNeverCarriesTheToken(t *testing.T) {
	t.Parallel()
	const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXJ0bmVyIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	h := newHostile()
	echo := func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		refuse(w, http.StatusBadRequest, "400", "bad request; you sent Authorization: "+r.Header.Get("Authorization")+" and raw "+token+"\x00\x1b[31m")
		return true
	}
	h.add("get", 1)
	h.get["get"] = echo
	h.add("patch", 1)
	h.patch["patch"] = echo
	h.add("name", 1)
	h.get["name"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		fmt.Fprintf(w, `{"id":"name","lineItems":[{"lineItemNumber":0,"offerId":"X","quantity":1,"friendlyName":"Office %s"}]}`, strings.Repeat("x", 400)+r.Header.Get("Authorization"))
		return true
	}
	got, j := runHostile(t, h, "C,get,0\nC,patch,0\nC,name,0\n",
		pcclient.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	journal, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	secretPart := token[len(token)-20:]
	if strings.Contains(string(journal), secretPart) {
		t.Error("the journal holds the bearer token")
	}
	for key, l := range got {
		for _, text := range []string{l.ErrorMessage, l.Product, l.Offer} {
			if strings.Contains(text, secretPart) || strings.ContainsAny(text, "\x00\x1b") || len([]rune(text)) > pcclient.MaxText {
				t.Errorf("line %s carries %q", key, text)
			}
		}
	}
	if l := got["2/0"]; l.Status != record.Rejected || !strings.Contains(l.ErrorMessage, "[redacted]") {
		t.Errorf("GET refusal: %s %q", l.Status, l.ErrorMessage)
	}
	if l := got["3/0"]; l.Status != record.Rejected || !strings.Contains(l.ErrorMessage, "[redacted]") {
		t.Errorf("PATCH refusal: %s %q", l.Status, l.ErrorMessage)
	}
}

// Stopping a run takes seconds whatever the server does: orders that have
// not sent their PATCH stop at once, and the one whose PATCH hangs is read
// once more and left unsettled for a resume.
func TestStopEndsInSecondsWithoutWaitingForRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHostile()
	h.add("hangs", 6)
	patched, laterOut, throttled := make(chan struct{}), make(chan struct{}), make(chan struct{})
	release := make(chan struct{})
	// A PATCH told to come back in 15 minutes must not hold the stop.
	h.add("later", 2)
	h.patch["later"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		if h.count("PATCH later") == 1 {
			close(laterOut)
			defer close(throttled)
		}
		<-patched // both PATCHes out before anything is throttled
		w.Header().Set("Retry-After", "900")
		refuse(w, http.StatusTooManyRequests, "", "throttled")
		return true
	}
	h.patch["hangs"] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
		close(patched)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	for i := range 6 {
		id := fmt.Sprintf("slow%d", i)
		h.add(id, 1)
		h.get[id] = func(w http.ResponseWriter, r *http.Request, o *pcclient.Order) bool {
			<-patched // throttled from the moment both PATCHes are out
			<-laterOut
			w.Header().Set("Retry-After", "900")
			refuse(w, http.StatusTooManyRequests, "", "throttled")
			return true
		}
	}
	csv := "Customer ID,Order ID,Line\n" + plantest.CustomerA + ",hangs,0\n" + plantest.CustomerA + ",later,0\n"
	for i := range 6 {
		csv += fmt.Sprintf("%s,slow%d,0\n", plantest.CustomerA, i)
	}
	p := plantest.Read(t, csv)
	j := newJournal(t)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-patched
		<-throttled
		cancel()
	}()
	client := h.start(t)
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for it
	r := &Runner{Client: client, Concurrency: 4, RunID: "run-test", Journal: j, StopGrace: 50 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, p) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not stop within a minute of the cancel")
	}
	got := collect(t, p, j)
	if l := got["2/0"]; !l.Unsettled() || qty(l.Before) != "6" || l.RequestID == "" {
		t.Errorf("the order whose PATCH hung: %s %s→%s request %q (%q); want failed, unsettled", l.Status, qty(l.Before), qty(l.After), l.RequestID, l.ErrorMessage)
	}
	if l := got["3/0"]; l.Status != record.Failed || l.Unsettled() || qty(l.After) != "2" || h.count("PATCH later") != 1 {
		t.Errorf("the throttled PATCH: %s %s→%s after %d PATCHes (%q); want failed, refused, sent once", l.Status, qty(l.Before), qty(l.After), h.count("PATCH later"), l.ErrorMessage)
	}
	for i := range 6 {
		key := fmt.Sprintf("%d/0", i+4)
		if l := got[key]; l.Status != record.Pending {
			t.Errorf("line %s = %s (%q), want pending", key, l.Status, l.ErrorMessage)
		}
		if n := h.count(fmt.Sprintf("PATCH slow%d", i)); n != 0 {
			t.Errorf("slow%d was sent %d PATCHes after the stop", i, n)
		}
	}
	if j.Len() != 2 {
		t.Errorf("%d orders journaled, want the two whose PATCH was out", j.Len())
	}
}
