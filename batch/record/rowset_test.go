package record

import (
	"fmt"
	"testing"
)

func TestRowSet(t *testing.T) {
	t.Parallel()
	var s RowSet
	for _, r := range []int{5, 2, 3, 4, 9, 11, 12, 13, 64, 65, 3, 0, -1, maxRow + 1} {
		s.Add(r)
	}
	if got := s.String(); got != "2-5, 9, 11-13, 64-65" || s.Len() != 10 {
		t.Errorf("String = %q (%d rows)", got, s.Len())
	}
	back, err := ParseRowSet(s.String())
	if err != nil || back.String() != s.String() || back.Len() != s.Len() {
		t.Errorf("ParseRowSet(%q) = %v, %v", s.String(), back, err)
	}
	var fewer RowSet
	for _, r := range []int{2, 3, 5, 9, 11, 12, 13, 64, 65, 70} {
		fewer.Add(r)
	}
	if got := fmt.Sprint(s.Diff(&fewer, 10), fewer.Diff(&s, 10)); got != "[4] [70]" {
		t.Errorf("Diff = %s", got)
	}
	for _, bad := range []string{"x", "5-2", "0", "1-99999999", "3-", "-3"} {
		if _, err := ParseRowSet(bad); err == nil {
			t.Errorf("ParseRowSet(%q) accepted", bad)
		}
	}
	if empty, err := ParseRowSet(""); err != nil || empty.Len() != 0 {
		t.Errorf("ParseRowSet(\"\") = %v, %v", empty, err)
	}
}
