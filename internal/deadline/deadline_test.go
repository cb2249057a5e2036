package deadline

import (
	"strings"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	for _, tt := range []struct {
		productType, subType, term, cycle string
		kind                              Kind
		from                              Evidence
	}{
		// The catalogue decides when it was read.
		{"Azure", "VirtualMachines", "P1Y", "one_time", AzurePlan, FromCatalogue},
		{"Software", "PerpetualSoftware", "P3Y", "one_time", PerpetualSoftware, FromCatalogue},
		{"Software", "SoftwareSubscriptions", "", "one_time", SoftwareSubscription, FromCatalogue},
		{"OnlineServicesNCE", "", "P1M", "monthly", Other, FromCatalogue},
		// Software of a subtype not known here, or no catalogue: the line.
		{"Software", "Reservation", "P3Y", "one_time", SoftwareSubscription, FromTerm},
		{"", "", "P3Y", "one_time", SoftwareSubscription, FromTerm},
		{"", "", "", "one_time", PerpetualSoftware, FromTerm},
		{"", "", "", "OneTime", PerpetualSoftware, FromTerm},
		{"", "", "", "monthly", "", ""},
	} {
		k, from := KindOf(tt.productType, tt.subType, tt.term, tt.cycle)
		if k != tt.kind || from != tt.from {
			t.Errorf("KindOf(%q, %q, %q, %q) = %s, %s; want %s, %s", tt.productType, tt.subType, tt.term, tt.cycle, k, from, tt.kind, tt.from)
		}
	}
}

func TestUntil(t *testing.T) {
	bought := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	r, err := NewRules(map[string]time.Duration{"perpetual_software": 45 * day})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[Kind]time.Time{
		SoftwareSubscription: bought.Add(7 * day),
		PerpetualSoftware:    bought.Add(45 * day),
	} {
		if got, ok := r.Until(bought, k); !ok || !got.Equal(want) {
			t.Errorf("%s: %v %v, want %v", k, got, ok, want)
		}
	}
	for _, k := range []Kind{AzurePlan, Other, ""} {
		if _, ok := r.Until(bought, k); ok {
			t.Errorf("%q has a deadline", k)
		}
	}
	if _, ok := r.Until(time.Time{}, SoftwareSubscription); ok {
		t.Error("a line without a purchase date has a deadline")
	}
	d := r.Describe(map[Evidence]int{FromCatalogue: 3, FromTerm: 1})
	for _, want := range []string{"software_subscription: purchase date + 7 days", "perpetual_software: purchase date + 45 days (run.windows; Partner Center's is 30 days)",
		"azure_plan: never cancelled", "product catalogue for 3 lines", "termDuration and the billing cycle for 1 line"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe = %q, lacks %q", d, want)
		}
	}
	if _, err := NewRules(map[string]time.Duration{"perpetual": day}); err == nil || !strings.Contains(err.Error(), "software_subscription, perpetual_software") {
		t.Errorf("an unknown kind: %v", err)
	}
}
