package record

import "strings"

// FoldHeader folds a header for matching: case, spaces, _ and - are ignored
// (and the invisible characters copy-paste brings along).
func FoldHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '-' || Invisible(r) {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// customerNameHeaders are the headers of an input column that names the
// customer; the report's Customers sheet shows it.
var customerNameHeaders = []string{"Customer Name", "CustomerName", "Company Name", "Customer Company Name"}

// CustomerNameColumn returns the index of the extra column that names the
// customer (Customer Name, CustomerName, …), or -1.
func CustomerNameColumn(extra []string) int {
	for _, want := range customerNameHeaders {
		for i, h := range extra {
			if FoldHeader(h) == FoldHeader(want) {
				return i
			}
		}
	}
	return -1
}
