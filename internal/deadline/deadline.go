// Package deadline says until when a line item can be cancelled: the kind
// of product it is, from the best evidence an order gives, and the window
// of that kind from its purchase date.
//
// Partner Center cancels software purchases through their order within a
// window from the purchase: 7 days for a software subscription, 30 for
// perpetual software. Azure plans, and the other kinds it sells (licence
// subscriptions of new commerce among them), are never cancelled this way.
//
// The kind comes from the product's catalogue entry when it is read
// (productType Azure; Software with a subtype naming subscriptions or
// perpetual licences), else from the line itself: a line with a
// termDuration is a subscription, a one_time line without one perpetual
// software. What neither tells stays unknown, and has no deadline.
package deadline

import (
	"fmt"
	"strings"
	"time"
)

// Kind is a product kind, as the report and the config name it.
type Kind string

// The product kinds.
const (
	SoftwareSubscription Kind = "software_subscription"
	PerpetualSoftware    Kind = "perpetual_software"
	AzurePlan            Kind = "azure_plan"
	// Other is any other kind the catalogue names: Partner Center does not
	// cancel it through its order.
	Other Kind = "other"
)

// Kinds lists the kinds in the order the report explains them.
var Kinds = []Kind{SoftwareSubscription, PerpetualSoftware, AzurePlan, Other}

const day = 24 * time.Hour

// DefaultWindow is Partner Center's cancellation window of k, and false
// when k is never cancelled through its order (or is unknown).
func DefaultWindow(k Kind) (time.Duration, bool) {
	switch k {
	case SoftwareSubscription:
		return 7 * day, true
	case PerpetualSoftware:
		return 30 * day, true
	}
	return 0, false
}

// Evidence is where a line's kind was learnt.
type Evidence string

// The evidence, best first.
const (
	FromCatalogue Evidence = "catalogue"    // the product's catalogue entry
	FromTerm      Evidence = "termDuration" // the line's termDuration and the order's billing cycle
)

// KindOf tells a line's kind: from its product's catalogue entry when one
// was read (productType and its subType; "" when not read), else from the
// line's termDuration and its order's billingCycle. It returns "" when
// neither tells.
func KindOf(productType, subType, termDuration, billingCycle string) (Kind, Evidence) {
	switch pt, sub := strings.ToLower(productType), strings.ToLower(subType); {
	case pt == "":
	case pt == "azure":
		return AzurePlan, FromCatalogue
	case pt == "software" && strings.Contains(sub, "perpetual"):
		return PerpetualSoftware, FromCatalogue
	case pt == "software" && strings.Contains(sub, "subscription"):
		return SoftwareSubscription, FromCatalogue
	case pt == "software":
		// Software of a subtype not known here: the line says which.
	default:
		return Other, FromCatalogue
	}
	switch {
	case strings.TrimSpace(termDuration) != "":
		return SoftwareSubscription, FromTerm
	case oneTime(billingCycle):
		return PerpetualSoftware, FromTerm
	}
	return "", ""
}

// oneTime reports whether a billing cycle is one-time: answers carry
// "one_time", the documented enum spells it OneTime.
func oneTime(cycle string) bool {
	c := strings.ToLower(strings.ReplaceAll(cycle, "_", ""))
	return c == "onetime"
}

// Rules are the windows a run judges deadlines by: Partner Center's, with
// the config's overrides (run.windows).
type Rules struct {
	overrides map[Kind]time.Duration
}

// NewRules makes the rules with the given overrides, by kind name. An
// unknown kind is an error, naming the kinds there are.
func NewRules(overrides map[string]time.Duration) (Rules, error) {
	r := Rules{overrides: map[Kind]time.Duration{}}
	for name, w := range overrides {
		k := Kind(name)
		if !known(k) {
			return Rules{}, fmt.Errorf("unknown product kind %q (the kinds: %s)", name, kindNames())
		}
		r.overrides[k] = w
	}
	return r, nil
}

func known(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindNames() string {
	var out []string
	for _, k := range Kinds {
		out = append(out, string(k))
	}
	return strings.Join(out, ", ")
}

// Window is the window of k under r, and false when k has none.
func (r Rules) Window(k Kind) (time.Duration, bool) {
	if w, ok := r.overrides[k]; ok {
		return w, true
	}
	return DefaultWindow(k)
}

// Until is the last moment a line of kind k bought at purchased can be
// cancelled, and false when it has no deadline (no window, an unknown kind
// or purchase date).
func (r Rules) Until(purchased time.Time, k Kind) (time.Time, bool) {
	w, ok := r.Window(k)
	if !ok || purchased.IsZero() {
		return time.Time{}, false
	}
	return purchased.Add(w), true
}

// Describe says, for the report, which windows were used and where the
// kinds came from: counted lines by evidence.
func (r Rules) Describe(byEvidence map[Evidence]int) string {
	var parts []string
	for _, k := range Kinds {
		w, ok := r.Window(k)
		switch {
		case !ok:
			parts = append(parts, string(k)+": never cancelled through its order")
		default:
			s := fmt.Sprintf("%s: purchase date + %s", k, days(w))
			if _, over := r.overrides[k]; over {
				s += " (run.windows; Partner Center's is " + defaultText(k) + ")"
			}
			parts = append(parts, s)
		}
	}
	text := strings.Join(parts, "; ")
	var from []string
	if n := byEvidence[FromCatalogue]; n > 0 {
		from = append(from, "the product catalogue for "+plural(n, "line"))
	}
	if n := byEvidence[FromTerm]; n > 0 {
		from = append(from, "termDuration and the billing cycle for "+plural(n, "line"))
	}
	if n := byEvidence[""]; n > 0 {
		from = append(from, fmt.Sprintf("nothing for %s (no Cancellable Until)", plural(n, "line")))
	}
	if len(from) > 0 {
		text += ". Kind from " + strings.Join(from, ", ")
	}
	return text
}

func defaultText(k Kind) string {
	if w, ok := DefaultWindow(k); ok {
		return days(w)
	}
	return "none"
}

func days(w time.Duration) string {
	if w%day == 0 {
		return plural(int(w/day), "day")
	}
	return w.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
