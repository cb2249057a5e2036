// Package journal is the write-ahead log of a run: every record is
// appended and fsynced before anything counts as done, so that a crash —
// even kill -9 — loses nothing, and the workbook is written from it.
//
// On disk a journal is REPORT.journal, a CSV file that opens in a
// spreadsheet: a first line "#pcreconcile-journal {header as JSON}", a row
// of column names (read by name: journals of earlier versions still
// resume), then one row per line item. Rows of one order written together
// form a record; each row names its order's Seq, how many rows the record
// has and which one it is, so a record cut short by a crash is recognised
// and ignored (a torn tail). Every row ends with a running checksum (the
// "chain" column): the first 16 bytes of SHA-256 over the previous row's
// checksum and this row, seeded from the header lines. An edited, inserted
// or deleted row breaks the chain from there on, and Open refuses the
// journal naming the first such row (*EditedError). The chain has no key:
// it is evidence against edits, not a seal.
//
// Every cell is written as text (record.AsText): a value starting with =
// cannot become a formula in the spreadsheet that opens the file.
//
// A record is one of three kinds (the "kind" column); the latest record of
// each kind of an order counts:
//
//	kind     written                      a resume                            the workbook
//	-------  ---------------------------  ----------------------------------  -------------------------------
//	outcome  when an order finished, or   carries it; its retryable lines     the order's lines as recorded
//	("")     carried whole from an        are done again                      (the latest outcome wins)
//	         earlier run
//	intent   before a PATCH is sent:      with no outcome after it, the PATCH  the intent's lines failed,
//	         its MS-RequestId, the lines  was out when the run died: the      with no Quantity After, until
//	         and their quantities and     order is read first; lines at 0 are  a resume settles them
//	         prices before                cancelled by this tool, the rest
//	                                      sent again with the same id
//	prior    when a resume does an order  with no outcome after it, resumes   not used: the outcome that
//	         again: the earlier run's     from it, so a second crash keeps    follows it replaces it
//	         record of it                 what the first run finished
//
// An intent counts only while no outcome follows it (Intent); Get returns
// the latest outcome; Prior the latest prior.
package journal
