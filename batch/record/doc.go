// Package record is the vocabulary the rest of pcreconcile shares: what
// happened to a line and to an order (LineResult, OrderResult), the line
// statuses and their families, the mode (plan or run), where an input came
// from (Source), and the one table of columns per schema (LineTable,
// OrderTable, CustomerTable) through which the journal and the workbook
// write and read every record. It also holds the text guard both use:
// a cell is always text, never a formula (AsText).
//
// It knows nothing of sheets being planned, of HTTP or of workbooks: the
// planner, the journal, the runner and the report all import it, and it
// imports none of them.
package record
