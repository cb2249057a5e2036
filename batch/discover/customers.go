package discover

import (
	"github.com/pcreconcile/pcreconcile/batch/plan"
	"github.com/pcreconcile/pcreconcile/batch/record"
	"github.com/pcreconcile/pcreconcile/batch/sheet"
)

// headerWithin is how far down a sheet its header row may be.
const headerWithin = 50

// ReadCustomers reads the customers a sheet names (--customers FILE): its
// Customer Tenant ID column (any header the input accepts for it, from the
// first rows that name one), and a Customer Name column when it has one.
// Each customer is read once, whatever the rows repeat; an id that is not
// a GUID is an error naming its row, column and value.
func ReadCustomers(path string, h *plan.Headers, opts sheet.Options) ([]Customer, error) {
	r, _, err := sheet.Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	col, name := -1, -1
	var header string
	var out []Customer
	seen := map[string]int{}
	for r.Next() {
		rec := r.Record()
		texts := rec.Texts()
		if col < 0 {
			if col = h.Find(plan.FieldCustomer, texts); col >= 0 {
				header, name = texts[col], record.CustomerNameColumn(texts)
			} else if rec.Row > headerWithin {
				break
			}
			continue
		}
		if col >= len(texts) || record.CleanText(texts[col]) == "" {
			continue // a row without a customer: a note, a totals row
		}
		id, err := record.ParseGUID(texts[col])
		if err != nil {
			return nil, &plan.Error{File: path, Row: rec.Row, Column: header, Value: record.Clip(texts[col], 200), Reason: err.Error(),
				Fix: "a customer is named by its tenant id (a GUID); correct the row or delete it"}
		}
		if _, dup := seen[id]; dup {
			continue
		}
		c := Customer{ID: id}
		if name >= 0 && name < len(texts) {
			c.Name = record.CleanText(texts[name])
		}
		seen[id] = len(out)
		out = append(out, c)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if col < 0 {
		return nil, &plan.Error{File: path, Reason: "has no Customer Tenant ID column in its first rows (accepted: " + h.Accepted(plan.FieldCustomer) + ")",
			Fix: "pass a sheet with a Customer Tenant ID column, e.g. a report or an earlier candidates workbook"}
	}
	if len(out) == 0 {
		return nil, &plan.Error{File: path, Column: header, Reason: "names no customer", Fix: "fill the Customer Tenant ID column, or leave --customers out to read every customer"}
	}
	return out, nil
}
