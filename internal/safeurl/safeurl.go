// Package safeurl decides which endpoint URLs credentials may be sent to:
// https anywhere, plain http only to a loopback host. The API client, the
// token client and the config all refuse the same URLs through it.
package safeurl

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Parse parses an endpoint URL and refuses plain http:// to anything but a
// loopback host, and credentials in the URL: tokens and secrets must not
// cross a network in clear.
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && u.Host != "":
		if !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("refusing plain http:// to %s: only https is allowed except on loopback (127.0.0.1, ::1, localhost)", u.Host)
		}
	default:
		return nil, fmt.Errorf("invalid URL %q: want https://host[/path]", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid URL %q: credentials do not belong in a URL", u.Redacted())
	}
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
