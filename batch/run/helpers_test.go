package run

import "fmt"

// qty prints a quantity that may be unknown: "-" for nil.
func qty(p *int) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}
