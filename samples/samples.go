// Package samples holds the inputs a new user can run at once and the seed of
// the built-in Partner Center sandbox. The seed is embedded in the binary, so
// `pcreconcile run samples/cancellations.csv` works from any clone without a
// config file.
package samples

import _ "embed"

// SandboxSeed is samples/sandbox.json: the customers, orders and line items
// the sandbox starts with (and returns to on `pcreconcile sandbox --reset`).
//
//go:embed sandbox.json
var SandboxSeed []byte
