package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds the whole probe, as a container healthcheck expects.
const healthcheckTimeout = 2 * time.Second

// healthcheck GETs a URL and exits 0 on 200, for images that have no curl. The default URL is
// /healthz on the address the server listens on.
func healthcheck(ctx context.Context, args []string, env func(string) string, stderr io.Writer) int {
	fs := newFlagSet("healthcheck", stderr)
	addr := fs.String("addr", envOr(env, "MOCKIDP_ADDR", defaultAddr), "the server's listen address, for the default --url [MOCKIDP_ADDR]")
	target := fs.String("url", "", "URL to probe (default: http://ADDR/healthz)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	u := *target
	if u == "" {
		var err error
		if u, err = healthURL(*addr); err != nil {
			fmt.Fprintf(stderr, "mockidp healthcheck: %v\n", err)
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "mockidp healthcheck: %s: %v\n", u, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "mockidp healthcheck: %s: %s\n", u, resp.Status)
		return 1
	}
	return 0
}

// healthURL is /healthz on a listen address; a wildcard host is probed on loopback.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
