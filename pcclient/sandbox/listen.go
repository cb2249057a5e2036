package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Listener is a sandbox serving HTTP on a TCP address.
type Listener struct {
	URL  string // base URL, e.g. http://127.0.0.1:8089
	srv  *http.Server
	done chan struct{}
	err  error // of Serve, valid once done is closed
}

// Listen serves h on addr ("127.0.0.1:0" picks a free port) until Close.
func Listen(addr string, h http.Handler) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Listener{
		URL:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		if err := l.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			l.err = err
		}
		close(l.done)
	}()
	return l, nil
}

// Close stops accepting requests, waits up to a second for the requests in
// flight, and closes every connection. (Shutdown alone would wait five
// seconds for connections a client opened but never used.)
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var err error
	if serr := l.srv.Shutdown(ctx); serr != nil {
		err = l.srv.Close()
	}
	<-l.done
	return errors.Join(err, l.err)
}

// Wait serves until ctx is done, then closes the listener.
func (l *Listener) Wait(ctx context.Context) error {
	select {
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return l.Close()
	}
}

// servingFile is where a serving sandbox writes its URL, beside its state.
func servingFile(statePath string) string { return statePath + ".serving" }

// MarkServing records, beside the state file, that a sandbox serves it at
// url; the returned function removes the mark. Serving reads it.
func MarkServing(statePath, url string) (done func()) {
	path := servingFile(statePath)
	if err := os.WriteFile(path, []byte(url+"\n"), 0o600); err != nil {
		return func() {}
	}
	return func() { os.Remove(path) }
}

// Serving returns the URL of a sandbox serving the state at statePath, or
// "" when none answers there. A mark left by a sandbox that was killed is
// stale: nothing answers, and it is removed.
func Serving(statePath string) string {
	b, err := os.ReadFile(servingFile(statePath))
	if err != nil {
		return ""
	}
	url := strings.TrimSpace(string(b))
	hc := http.Client{Timeout: time.Second}
	if resp, err := hc.Get(url + "/sandbox/stats"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return url
		}
	}
	os.Remove(servingFile(statePath))
	return ""
}
