package orderid

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for id, want := range map[string]string{
		"Q2v7Lm9kT4xR8sPz1wYb3nHc6dFg5jKa0": "", "a_b-C9": "", strings.Repeat("x", MaxLen): "",
		"": "is empty", strings.Repeat("x", MaxLen+1): "longer than 128", "a/b": `contains '/'`, "a.b": `contains '.'`,
		"a b": `contains ' '`, "ü": `contains 'ü'`, "a%2F": `contains '%'`,
	} {
		err := Check(id)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("Check(%q) = %v, want %q", id, err, want)
		}
	}
}
