package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenantless/tenantless/demoapp/api"
)

// Server limits. WriteTimeout leaves room for a JWKS fetch (at most 5 s) inside a request;
// MaxHeaderBytes leaves room for an 8 KiB token plus ordinary headers, and refuses the rest
// with 431 before any handler runs.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 32 << 10
	shutdownTimeout   = 10 * time.Second
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	signalled, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown. The notification is stopped before the shutdown
	// starts, which gives the next signal its default effect: a second Ctrl-C ends the program at
	// once instead of waiting for the requests in flight.
	ctx, shutDown := context.WithCancel(context.Background())
	context.AfterFunc(signalled, func() {
		stop()
		shutDown()
	})
	err := run(ctx, os.Getenv, logger)
	stop()
	shutDown()
	if err != nil {
		logger.Error("demoapp stopped", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	addr, cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.Logger = logger
	handler, err := api.New(cfg)
	if err != nil {
		if ce, ok := errors.AsType[*api.ConfigError](err); ok {
			return fmt.Errorf("%s: %s", envName[ce.Field], ce.Problem)
		}
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("DEMOAPP_ADDR: %w", err)
	}
	logger.Info("demoapp listening", slog.String("url", browserURL(addr, ln.Addr())), slog.String("issuer", cfg.Issuer))
	return serve(ctx, ln, newServer(handler), logger)
}

// browserURL is the address to open: the host name as configured, since the tenant's callback
// URLs name it (http://localhost:3000 is allowed, http://127.0.0.1:3000 is not), and localhost for
// a wildcard listener.
func browserURL(configured string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(configured)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// envName maps api.Config fields to the variables that set them, for error messages.
var envName = map[string]string{
	"Issuer":   "ISSUER",
	"Audience": "AUDIENCE",
	"ClientID": "CLIENT_ID",
	"JWKSURI":  "JWKS_URI",
}

// configFromEnv reads the environment; an unset or empty variable takes its default, which is
// mockidp's default tenant.
func configFromEnv(getenv func(string) string) (string, api.Config, error) {
	get := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	addr := get("DEMOAPP_ADDR", "localhost:3000")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", api.Config{}, fmt.Errorf("DEMOAPP_ADDR: %q is not host:port (e.g. localhost:3000 or 0.0.0.0:3000)", addr)
	}
	return addr, api.Config{
		Issuer:   get("ISSUER", "http://localhost:4000/"),
		Audience: get("AUDIENCE", "https://api.example.com"),
		ClientID: get("CLIENT_ID", "demo-spa"),
		JWKSURI:  getenv("JWKS_URI"),
	}, nil
}

func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// serve runs srv on ln until ctx ends, then lets requests in flight finish.
func serve(ctx context.Context, ln net.Listener, srv *http.Server, logger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("demoapp shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
