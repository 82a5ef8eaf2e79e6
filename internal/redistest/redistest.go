// Package redistest gives tests a Redis server: the one TENANTLESS_TEST_REDIS names (CI starts
// one and exports its URL), else a private redis-server started for the test on a loopback
// port and stopped when it ends. Without either the test is skipped, unless E2E_REQUIRE_REDIS=1
// makes that a failure.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Environment variables this package reads.
const (
	// EnvURL names a server the tests share, e.g. redis://127.0.0.1:6390/0.
	EnvURL = "TENANTLESS_TEST_REDIS"
	// EnvRequire set to 1 makes a missing server a failure instead of a skip.
	EnvRequire = "E2E_REQUIRE_REDIS"
)

// readyTimeout bounds the wait for a started server to answer PING.
const readyTimeout = 10 * time.Second

// Server is a Redis server a test uses.
type Server struct {
	// URL is redis://127.0.0.1:PORT/0, or the URL of EnvURL.
	URL string

	port int
	dir  string

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the running process ends.
	exited chan struct{}
}

// New returns the server of EnvURL, else starts a private one for t.
func New(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u}
	}
	return Start(t)
}

// Start starts a private redis-server for t on a free loopback port, without persistence, and
// stops it when t ends. Its Stop and Restart let a test take the server away and bring it
// back on the same address.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipOrFail(t, "redis-server is not on PATH (Debian: apt-get install redis-server; or set %s to a server's URL)", EnvURL)
	}
	s := &Server{port: freePort(t), dir: t.TempDir()}
	s.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", s.port)
	t.Cleanup(func() { s.Stop(t) })
	s.start(t)
	return s
}

// Prefix returns a key prefix no other test, in this process or another one sharing the
// server, uses.
func Prefix(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '*' || r == '?' || r == '[' || r == ']' || r == '\\' {
			return '_'
		}
		return r
	}, t.Name())
	return "tenantless-test:" + name + ":" + hex.EncodeToString(b) + ":"
}

// Stop ends the server and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Errorf("redistest: stop redis-server: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(readyTimeout):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart starts a stopped private server again on the same port; its data is gone.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.dir == "" {
		t.Fatal("redistest: Restart needs a server from Start")
	}
	s.Stop(t)
	s.start(t)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("redistest: start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	if err := waitReady(s.URL, exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		s.Stop(t)
		t.Fatalf("redistest: redis-server on port %d: %v\n%s", s.port, err, log)
	}
}

// waitReady polls PING until the server answers, it exits, or readyTimeout passes.
func waitReady(url string, exited <-chan struct{}) error {
	o, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	o.MaxRetries = -1
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		err := c.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before answering: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("no answer to PING within %s: %w", readyTimeout, err)
		case <-tick.C:
		}
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf(format+" (required: %s=1)", append(args, EnvRequire)...)
	}
	t.Skipf(format+" (set %s=1 to make this a failure)", append(args, EnvRequire)...)
}
