package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"

	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/report/totals"
)

// WriteSummary writes the summary a run prints when it ends (its only
// output on stdout): where it ran, the lines per status with their
// quantities, and what needs attention. next is the command that continues
// the work — executes a plan, retries what is left — printed when there is
// something to continue.
func WriteSummary(w io.Writer, c *Counts, m Meta, path, next string) {
	plan := m.Mode == record.Plan
	where := m.Endpoint
	if where == record.SandboxEndpoint {
		where = "SANDBOX (built-in simulator) — no real orders were changed"
	}
	fmt.Fprintf(w, "pcreconcile %s: %s\n", m.Mode, where)
	fmt.Fprintf(w, "Input:    %s (sha256 %s)\n", m.Input.Name, m.Input.SHA256[:min(12, len(m.Input.SHA256))])
	if m.ResumedFrom != "" {
		fmt.Fprintf(w, "Resumed:  %s\n", m.ResumedFrom)
	}
	fmt.Fprintf(w, "Report:   %s\n", path)
	fmt.Fprintf(w, "Result:   %s\n\n", c.Result)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Lines\t%d\t\n", c.TotalLines)
	for _, s := range record.Statuses {
		n := c.Lines[s]
		if n == 0 {
			continue
		}
		qty := ""
		if q := c.Quantity[s]; q > 0 {
			qty = fmt.Sprintf("quantity %d", q)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", s, n, qty)
	}
	fmt.Fprintf(tw, "Orders\t%d\t\n", c.TotalOrders)
	if plan {
		// What the plan approves: the money a run would cancel.
		label := "A run would cancel"
		for _, cur := range sortedKeys(c.WouldCancel) {
			x := c.WouldCancel[cur]
			switch {
			case cur == "" || x.Lines == x.Unpriced:
				fmt.Fprintf(tw, "%s\t-\t%s without a price\n", label, lines(x.Lines))
			default:
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s, quantity %d\n", label, cur, FormatMoney(x.Amount), lines(x.Lines), x.Quantity)
			}
			label = ""
		}
	}
	fmt.Fprintf(tw, "Quantity cancelled\t%d\t\n", c.QuantityCancelled)
	label := "Amount cancelled"
	carried := c.ThisRunDiffers()
	for _, cur := range c.Currencies() {
		x := c.Cancelled[cur]
		if x == nil {
			continue
		}
		if !carried {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", label, cur, FormatMoney(x.Amount))
			label = ""
			continue
		}
		now := decimal.Zero
		if t := c.ThisRun[cur]; t != nil {
			now = t.Amount
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tby this run %s, carried %s\n", label, cur, FormatMoney(x.Amount), FormatMoney(now), FormatMoney(x.Amount.Sub(now)))
		label = ""
	}
	if c.Priced == 0 && c.Unpriced > 0 {
		fmt.Fprintf(tw, "Amount cancelled\t-\tnot known: Partner Center returned no prices\n")
	}
	tw.Flush()

	var attention []string
	for _, s := range record.Statuses {
		if n := c.Lines[s]; n > 0 && s.NeedsAttention(plan) {
			attention = append(attention, fmt.Sprintf("%s %d", s, n))
		}
	}
	fmt.Fprintln(w)
	switch {
	case len(attention) == 0 && plan:
		fmt.Fprintf(w, "Every line can be cancelled. Review %s, then execute it with:\n  %s\n", path, next)
	case len(attention) == 0:
		fmt.Fprintln(w, "Every line is cancelled.")
	default:
		fmt.Fprintf(w, "Needs attention: %s (see the Error Message column of the Lines sheet).\n", strings.Join(attention, ", "))
		if c.Unfinished > 0 {
			verb := "To continue with the lines that can be retried"
			if plan {
				verb = "After review, execute the plan (lines that would cancel, and any to retry)"
			}
			fmt.Fprintf(w, "%s:\n  %s\n", verb, next)
		}
		if n := c.Lines[record.Rejected]; n > 0 && !plan {
			fmt.Fprintf(w, "Partner Center rejected %s (Error Message says why); once the cause is fixed, send %s again with:\n  %s --retry-rejected\n",
				lines(n), map[bool]string{true: "it", false: "them"}[n == 1], next)
		}
	}
}

// FormatMoney writes an amount as an accountant reads it: digits grouped by
// thousands, two decimals, more when the amount has them (up to four).
var FormatMoney = totals.FormatMoney
