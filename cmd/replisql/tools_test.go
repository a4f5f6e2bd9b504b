package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestChecksumSource(t *testing.T) {
	tests := []struct {
		name, entry, wantName, wantURL, wantPath string
	}{
		{name: "data directory", entry: "data/n1", wantName: "data/n1", wantPath: filepath.Join("data/n1", "db.sqlite")},
		{name: "URL", entry: "postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable",
			wantName: "postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable", wantURL: "postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable"},
		{name: "URL with a password, not printed", entry: "postgresql://alice:secret@db:5433/app",
			wantName: "postgresql://alice:xxxxx@db:5433/app", wantURL: "postgresql://alice:secret@db:5433/app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newChecksumSource(tc.entry)
			if s.name != tc.wantName || s.url != tc.wantURL || s.path != tc.wantPath {
				t.Fatalf("got name %q url %q path %q, want %q %q %q", s.name, s.url, s.path, tc.wantName, tc.wantURL, tc.wantPath)
			}
		})
	}
}

func TestChecksumURLExcludesFiles(t *testing.T) {
	for _, args := range [][]string{
		{"--url", "postgres://h/db", "--db", "x.sqlite"},
		{"--url", "postgres://h/db", "--compare", "a,b"},
	} {
		var u usageError
		if err := checksumCommand(context.Background(), args); !errors.As(err, &u) {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
}
