package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
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
