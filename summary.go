package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/pcreconcile/pcreconcile/batch"
	"github.com/pcreconcile/pcreconcile/report"
)

// printSummary writes the final summary, the only thing on stdout.
func (j *job) printSummary(ep *endpoint, c *report.Counts, result string) {
	w := j.stdout
	where := ep.name
	if ep.sandbox {
		where = "SANDBOX (built-in simulator) — no real orders were changed"
	}
	fmt.Fprintf(w, "pcreconcile %s: %s\n", j.command, where)
	fmt.Fprintf(w, "Input:    %s (sha256 %s)\n", j.work.Input.Name, shortSHA(j.work.Input.SHA256))
	if j.resumed != "" {
		fmt.Fprintf(w, "Resumed:  %s\n", j.resumed)
	}
	fmt.Fprintf(w, "Report:   %s\n", j.report)
	fmt.Fprintf(w, "Result:   %s\n\n", result)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Lines\t%d\t\n", c.TotalLines)
	for _, s := range batch.Statuses {
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
	fmt.Fprintf(tw, "Quantity cancelled\t%d\t\n", c.QuantityCancelled)
	tw.Flush()

	var attention []string
	for _, s := range batch.Statuses {
		if n := c.Lines[s]; n > 0 && !s.Success(j.dryRun()) {
			attention = append(attention, fmt.Sprintf("%s %d", s, n))
		}
	}
	fmt.Fprintln(w)
	switch {
	case len(attention) == 0 && j.dryRun():
		fmt.Fprintf(w, "Every line can be cancelled. Review %s, then execute it with:\n  pcreconcile run --resume %s\n", j.report, quoteArg(j.report))
	case len(attention) == 0:
		fmt.Fprintln(w, "Every line is cancelled.")
	default:
		fmt.Fprintf(w, "Needs attention: %s (see the Error Message column of the Lines sheet).\n", strings.Join(attention, ", "))
		if c.Unfinished > 0 {
			verb := "To continue with the lines that can be retried"
			if j.dryRun() {
				verb = "After review, execute the plan (lines that would cancel, and any to retry)"
			}
			fmt.Fprintf(w, "%s:\n  pcreconcile run --resume %s\n", verb, quoteArg(j.report))
		}
	}
}
