//go:build race

package e2e

// raceEnabled: the test binary runs with the race detector, so the programs the process harness
// builds do too, and a race in them fails the test through their exit status.
const raceEnabled = true
