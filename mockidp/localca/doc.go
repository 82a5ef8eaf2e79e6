// Package localca owns the emulator's local certificate authority: a CA kept in one directory
// (made on first use, reused afterwards) whose X.509 name constraints let it vouch only for
// loopback addresses, the reserved names localhost, .test and .internal, and the names it was
// made with, so trusting it cannot expose real sites; the short-lived server certificates it
// signs in memory; and the trust bundle of system roots plus the CA. It reads no environment:
// main hands it the directory and the names.
package localca
