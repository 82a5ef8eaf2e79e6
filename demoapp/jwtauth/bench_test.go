package jwtauth

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkRawRS256Verify is the floor: hashing the signing input and one RSA-2048 PKCS#1 v1.5
// verification, nothing else.
func BenchmarkRawRS256Verify(b *testing.B) {
	verify := rawRS256Verify(b)
	for b.Loop() {
		verify()
	}
}

func rawRS256Verify(b *testing.B) func() {
	f := newFixture(b)
	token := f.token(b, nil)
	dot := strings.LastIndexByte(token, '.')
	input := []byte(token[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &rsaKey(b, "victim").PublicKey
	return func() {
		digest := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	rawOnce sync.Once
	rawNs   float64
)

// rawNsPerOp times the floor once per run (for at least half a second), so that each
// protected-request benchmark reports its cost relative to the same machine state.
// testing.Benchmark cannot be used here: it waits for the lock the running benchmark holds.
func rawNsPerOp(b *testing.B) float64 {
	rawOnce.Do(func() {
		verify := rawRS256Verify(b)
		n := 0
		start := time.Now()
		for time.Since(start) < 500*time.Millisecond {
			verify()
			n++
		}
		rawNs = float64(time.Since(start).Nanoseconds()) / float64(n)
	})
	return rawNs
}

// BenchmarkProtectedRequest sends one token, over and over, through Echo, Middleware,
// RequirePermissions and a JSON handler. "x-raw" is ns/op divided by BenchmarkRawRS256Verify's.
func BenchmarkProtectedRequest(b *testing.B) {
	for name, cacheSize := range map[string]int{"cached": DefaultTokenCacheSize, "uncached": -1} {
		b.Run(name, func(b *testing.B) {
			raw := rawNsPerOp(b)
			f := newFixture(b, func(c *Config) { c.TokenCacheSize = cacheSize })
			req := httptest.NewRequest(http.MethodGet, "/protected", nil)
			req.Header.Set("Authorization", bearer(f.token(b, nil)))
			warm := httptest.NewRecorder()
			f.e.ServeHTTP(warm, req)
			if warm.Code != http.StatusOK {
				b.Fatalf("status %d", warm.Code)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				f.e.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/raw, "x-raw")
		})
	}
}
