package record

import "strings"

// SandboxEndpoint is what the Summary says of a run against the simulator.
const SandboxEndpoint = "SANDBOX — no real orders were changed"

// SameEndpoint reports whether two endpoints as reports and journals name
// them are the same: URLs compare without case in scheme and host and
// without a trailing slash.
func SameEndpoint(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			host, path, _ := strings.Cut(rest, "/")
			s = strings.ToLower(scheme) + "://" + strings.ToLower(host)
			if path != "" {
				s += "/" + path
			}
		}
		return s
	}
	return norm(a) == norm(b)
}
