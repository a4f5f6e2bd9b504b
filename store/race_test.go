//go:build race

package store

// raceEnabled: the race detector slows SQLite down about twentyfold, so
// tests that need a long statement make it shorter.
const raceEnabled = true
