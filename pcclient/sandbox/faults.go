package sandbox

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults makes the sandbox misbehave the way Partner Center and the network
// do. Rates are probabilities in [0, 1] per request. Every decision is a pure
// function of Seed, the request (method and path) and how many times that
// request has been seen, so the same input and seed replay the same faults
// whatever the concurrency of the client.
type Faults struct {
	Seed int64
	// Error500 and Error503 answer with a server error before doing anything.
	Error500 float64
	Error503 float64
	// Busy answers 409 with code 800014 or 800060 ("order busy, retry later").
	Busy float64
	// Drop applies a PATCH and then closes the connection without an answer:
	// the client cannot know whether its cancellation happened.
	Drop float64
	// Pending accepts a PATCH (200, the order "pending", its lines
	// unchanged) and carries it out PendingDelay later, as Partner Center
	// does when a cancellation is processed asynchronously.
	Pending      float64
	PendingDelay time.Duration
	// Throttle is the token bucket Partner Center throttles with.
	Throttle Throttle
}

// Throttle configures the sandbox's 429 answers.
type Throttle struct {
	// RequestsPerMinute is the partner-wide limit; 0 switches it off.
	RequestsPerMinute float64
	// Burst is the bucket size; 0 means a tenth of a minute's requests.
	Burst int
	// CustomerRequestsPerMinute adds a limit per customer tenant; 0 = none.
	CustomerRequestsPerMinute float64
	// RetryAfter, when set, replaces the computed Retry-After value (tests use
	// 0 so that a throttled client does not sleep for whole seconds).
	RetryAfter *time.Duration
}

// DefaultThrottle is Partner Center's documented limit for the Order
// resource: 500 requests per minute.
var DefaultThrottle = Throttle{RequestsPerMinute: 500}

// Validate reports a rate outside [0, 1] or a negative limit.
func (f Faults) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_500", f.Error500}, {"error_503", f.Error503}, {"busy", f.Busy}, {"drop", f.Drop}, {"pending", f.Pending}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("sandbox fault %s: rate %v is not between 0 and 1", r.name, r.v)
		}
	}
	if f.Error500+f.Error503+f.Busy > 1 {
		return fmt.Errorf("sandbox faults: error_500 + error_503 + busy add up to more than 1")
	}
	if f.PendingDelay < 0 {
		return fmt.Errorf("sandbox fault pending_delay: cannot be negative")
	}
	if f.Throttle.RequestsPerMinute < 0 || f.Throttle.CustomerRequestsPerMinute < 0 || f.Throttle.Burst < 0 {
		return fmt.Errorf("sandbox throttle: limits cannot be negative")
	}
	return nil
}

type fault int

const (
	noFault fault = iota
	fault500
	fault503
	faultBusy
)

// dice hands out the deterministic random numbers behind the faults.
type dice struct {
	seed int64
	mu   sync.Mutex
	seen map[string]uint64
}

func newDice(seed int64) *dice { return &dice{seed: seed, seen: make(map[string]uint64)} }

// draw is the randomness of one request: the n-th occurrence of key.
type draw struct {
	seed int64
	key  string
	n    uint64
}

// next counts one more occurrence of key and returns its draw.
func (d *dice) next(key string) draw {
	d.mu.Lock()
	n := d.seen[key]
	d.seen[key] = n + 1
	d.mu.Unlock()
	return draw{seed: d.seed, key: key, n: n}
}

// at returns a number in [0, 1); different salts give independent numbers
// for independent decisions about the same request. FNV only names the
// request; PCG does the mixing (FNV's high bits barely change between keys
// that differ in a few characters).
func (w draw) at(salt byte) float64 {
	h := fnv.New64a()
	h.Write([]byte(w.key))
	return rand.New(rand.NewPCG(uint64(w.seed)^h.Sum64(), w.n<<8|uint64(salt))).Float64()
}

// before decides the fault answered instead of handling the request.
func (f Faults) before(w draw) fault {
	r := w.at(0)
	switch {
	case r < f.Error500:
		return fault500
	case r < f.Error500+f.Error503:
		return fault503
	case r < f.Error500+f.Error503+f.Busy:
		return faultBusy
	}
	return noFault
}

// pending decides whether an accepted PATCH is carried out later.
func (f Faults) pending(w draw) bool {
	return f.Pending > 0 && w.at(3) < f.Pending
}

// drop decides whether an applied PATCH loses its answer.
func (f Faults) drop(w draw) bool {
	return f.Drop > 0 && w.at(1) < f.Drop
}
