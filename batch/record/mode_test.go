package record

import (
	"encoding/json"
	"testing"
)

// Journal headers carry the mode as JSON under "command": the words of
// every earlier version read back, and a header without one is a run's.
func TestModeWords(t *testing.T) {
	for _, tt := range []struct {
		json string
		want Mode
	}{{`{"command":"run"}`, Run}, {`{"command":"plan"}`, Plan}, {`{"command":""}`, Run}, {`{}`, Run}} {
		var h struct {
			Mode Mode `json:"command"`
		}
		if err := json.Unmarshal([]byte(tt.json), &h); err != nil || h.Mode != tt.want {
			t.Errorf("%s: %v, %v; want %v", tt.json, h.Mode, err, tt.want)
		}
		b, _ := json.Marshal(h)
		if tt.json != `{}` && tt.json != `{"command":""}` && string(b) != tt.json {
			t.Errorf("%v marshals as %s, want %s", tt.want, b, tt.json)
		}
	}
	var m Mode
	if err := json.Unmarshal([]byte(`"dry"`), &m); err == nil {
		t.Error("an unknown mode word was accepted")
	}
	if Plan.String() != "plan" || Run.String() != "run" {
		t.Errorf("words: %s %s", Plan, Run)
	}
}
