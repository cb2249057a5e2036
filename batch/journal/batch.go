package journal

import (
	"path/filepath"

	"github.com/pcreconcile/pcreconcile/batch/record"
)

// NewBatch returns a batch that appends to j.
func NewBatch(j *Journal) *Batch { return &Batch{j: j} }

// Batch batches carried records into the journal: one write and one
// fsync per 512 orders instead of one each.
type Batch struct {
	j   *Journal
	buf map[Kind][]*record.OrderResult
	n   int
}

// Add queues r, a record of kind, and writes the queue when it is long.
func (c *Batch) Add(kind Kind, r *record.OrderResult) error {
	if c.buf == nil {
		c.buf = map[Kind][]*record.OrderResult{}
	}
	c.buf[kind] = append(c.buf[kind], r)
	if c.n++; c.n >= 512 {
		return c.Flush()
	}
	return nil
}

// Flush writes what is queued.
func (c *Batch) Flush() error {
	for _, kind := range []Kind{KindOutcome, KindPrior, KindIntent} {
		if rs := c.buf[kind]; len(rs) > 0 {
			if err := c.j.append(kind, rs); err != nil {
				return err
			}
			c.buf[kind] = rs[:0]
		}
	}
	c.n = 0
	return nil
}

// Unfinished finds a journal in dir left by a command of mode on the
// input with the given SHA-256, or returns "".
func Unfinished(dir, sha string, mode record.Mode) string {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
	for _, m := range matches {
		h, err := ReadHeader(m)
		if err == nil && !h.Source.Report && h.Source.SHA256 == sha && h.Mode == mode {
			return m
		}
	}
	return ""
}

// Error is a journal that cannot be created or written: the run
// cannot record what it does, so it must not do anything.
type Error struct {
	Op  string // create or write
	Err error
}

func (e *Error) Error() string { return "cannot " + e.Op + " the journal: " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }
