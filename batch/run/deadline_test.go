package run

import (
	"strings"
	"testing"
	"time"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/internal/deadline"
	"github.com/pcreconcile/pcreconcile/pcclient/sandbox"
)

// Every line that was PATCHed carries the PATCH's MS-RequestId and
// MS-CorrelationId, as sent; the order, those of its last call.
func TestPatchedLinesCarryThePatchIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, j, err := e.run(t, samplePlan(t), false)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{} // request id → correlation id of each PATCH
	for _, r := range e.rec.requests("PATCH") {
		sent[r.Header.Get("MS-RequestId")] = r.Header.Get("MS-CorrelationId")
	}
	patched := 0
	for key, l := range got {
		switch l.Status {
		case record.Cancelled, record.OutsideWindow, record.NotCancellable, record.NotCancelled:
			corr, ok := sent[l.RequestID]
			if !ok || l.CorrelationID == "" || l.CorrelationID != corr {
				t.Errorf("line %s (%s): request %q correlation %q, want the PATCH's (%q)", key, l.Status, l.RequestID, l.CorrelationID, corr)
			}
			patched++
		}
	}
	if patched < 8 {
		t.Errorf("%d PATCHed lines checked", patched)
	}
	for seq := range j.Len() {
		o, ok, _ := j.Get(seq)
		if ok && o.CorrelationID == "" {
			t.Errorf("order %s has no correlation id", o.Order)
		}
	}
}

// A plan predicts from each line's kind and deadline: the Azure plan line
// is not_cancellable, the subscription bought twelve days ago
// outside_window, each with its reason; every read line has its
// Cancellable Until; run.windows moves a deadline.
func TestPlanPredictsFromKindAndDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, _, err := e.run(t, samplePlan(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if l := got["8/0"]; l.Status != record.NotCancellable || l.Kind != "azure_plan" || l.KindFrom != "catalogue" || !l.CancellableUntil.IsZero() ||
		!strings.Contains(l.ErrorMessage, "predicted from the product kind azure_plan") || !strings.HasSuffix(l.ErrorMessage, "a run asks Partner Center") {
		t.Errorf("the Azure plan line: %+v", l)
	}
	l := got["7/0"]
	if l.Status != record.OutsideWindow || l.Kind != "software_subscription" || !strings.Contains(l.ErrorMessage, "+ 7 days (software_subscription, from the product catalogue): the window closed") {
		t.Errorf("the line past its window: %s %q", l.Status, l.ErrorMessage)
	}
	if want := l.Purchased.Add(7 * 24 * time.Hour); !l.CancellableUntil.Equal(want) {
		t.Errorf("Cancellable Until %v, want %v", l.CancellableUntil, want)
	}
	if l := got["2/0"]; l.Status != record.WouldCancel || l.Kind != "perpetual_software" || !l.CancellableUntil.Equal(l.Purchased.Add(30*24*time.Hour)) {
		t.Errorf("a perpetual line: %s %s %v", l.Status, l.Kind, l.CancellableUntil)
	}

	// A longer window for subscriptions: the twelve-day-old line would cancel.
	rules, err := deadline.NewRules(map[string]time.Duration{"software_subscription": 14 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Client: e.client, DryRun: true, RunID: "run-test", Journal: newJournal(t), Windows: rules}
	p := samplePlan(t)
	if err := r.Run(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if l := collect(t, p, r.Journal)["7/0"]; l.Status != record.WouldCancel || !l.CancellableUntil.Equal(l.Purchased.Add(14*24*time.Hour)) {
		t.Errorf("with run.windows: %s until %v", l.Status, l.CancellableUntil)
	}
}

// A run still sends what the sheet asks: Partner Center decides, and the
// lines carry their deadlines all the same.
func TestRunSendsWhatAPlanWouldPredict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	got, _, err := e.run(t, samplePlan(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if l := got["7/0"]; l.Status != record.OutsideWindow || l.ErrorCode != "900117" || l.CancellableUntil.IsZero() {
		t.Errorf("past the window: %s %s %v", l.Status, l.ErrorCode, l.CancellableUntil)
	}
	if l := got["8/0"]; l.Status != record.NotCancellable || l.ErrorCode != "800019" {
		t.Errorf("the Azure plan: %s %s", l.Status, l.ErrorCode)
	}
}
