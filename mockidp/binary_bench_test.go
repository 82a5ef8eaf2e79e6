package main

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The benchmarks below run the built binary, as a user or a container does.
//
//	go test ./mockidp -run '^$' -bench Binary -benchtime 20x      # start-up
//	go test ./mockidp -run '^$' -bench Binary -benchtime 10000x   # memory after 10,000 tokens

// buildBinary compiles mockidp into a temporary directory.
func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "mockidp")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a started binary.
type process struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
}

// startBinary starts the binary on a free loopback port and returns once its start-up block
// is out: the socket is listening by then, so a request waits in the backlog, never polls.
func startBinary(b *testing.B, bin string) *process {
	b.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--issuer", "http://127.0.0.1/")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &process{cmd: cmd}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "listening"); ok {
			p.base = "http://" + strings.TrimSpace(rest)
			break
		}
	}
	if p.base == "" {
		p.stop(b)
		b.Fatal("no listening address in the start-up block")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	return p
}

func (p *process) stop(b *testing.B) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		b.Errorf("mockidp exit: %v", err)
	}
}

func get(b *testing.B, client *http.Client, u string) {
	resp, err := client.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %s", u, resp.Status)
	}
}

// BenchmarkBinary measures the built binary: "startup" is process start to the first 200 from
// /healthz (target under 50 ms); "tokens" is one client-credentials token over loopback per op
// and reports the process's resident memory afterwards (target under 30 MB after 10,000).
func BenchmarkBinary(b *testing.B) {
	bin := buildBinary(b)
	client := &http.Client{Timeout: 5 * time.Second}

	b.Run("startup", func(b *testing.B) {
		for b.Loop() {
			p := startBinary(b, bin)
			get(b, client, p.base+"/healthz")
			b.StopTimer()
			p.stop(b)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/start")
	})

	b.Run("tokens", func(b *testing.B) {
		p := startBinary(b, bin)
		defer p.stop(b)
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"demo-m2m"},
			"client_secret": {"demo-m2m-secret"}, "audience": {"https://api.example.com"}}.Encode()
		for b.Loop() {
			resp, err := client.Post(p.base+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("token: %s", resp.Status)
			}
		}
		if rss, ok := residentMB(p.cmd.Process.Pid); ok {
			b.ReportMetric(rss, "rss-MB")
		}
	})
}

// residentMB reads VmRSS from /proc (Linux only).
func residentMB(pid int) (float64, bool) {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}
