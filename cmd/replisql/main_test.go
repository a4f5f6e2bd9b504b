package main

import (
	"errors"
	"flag"
	"testing"
	"time"
)

func TestParseFlagsEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    serveConfig
		wantErr bool
	}{
		{name: "defaults", want: serveConfig{dataDir: "data", listen: "127.0.0.1:5433", writeWait: 10 * time.Second}},
		{name: "environment", env: map[string]string{"REPLISQL_DATA_DIR": "/tmp/x", "REPLISQL_WRITE_WAIT": "2s"},
			want: serveConfig{dataDir: "/tmp/x", listen: "127.0.0.1:5433", writeWait: 2 * time.Second}},
		{name: "flag beats environment", env: map[string]string{"REPLISQL_LISTEN": "127.0.0.1:1"}, args: []string{"--listen", "127.0.0.1:2"},
			want: serveConfig{dataDir: "data", listen: "127.0.0.1:2", writeWait: 10 * time.Second}},
		{name: "bad environment value", env: map[string]string{"REPLISQL_MAX_CONNECTIONS": "many"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var c serveConfig
			fs := serveFlags(&c)
			fs.SetOutput(new(discard))
			err := parseFlags(fs, tc.args)
			if tc.wantErr {
				var u usageError
				if !errors.As(err, &u) {
					t.Fatalf("got %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.dataDir != tc.want.dataDir || c.listen != tc.want.listen || c.writeWait != tc.want.writeWait {
				t.Fatalf("got data-dir %q listen %q write-wait %v, want %q %q %v",
					c.dataDir, c.listen, c.writeWait, tc.want.dataDir, tc.want.listen, tc.want.writeWait)
			}
		})
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	var c serveConfig
	fs := serveFlags(&c)
	fs.SetOutput(new(discard))
	if err := parseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v, want flag.ErrHelp", err)
	}
}

func TestDefaultAuthIsTrustOnlyOnLoopback(t *testing.T) {
	tests := []struct {
		listen string
		want   string
	}{
		{"127.0.0.1:5433", "trust"},
		{"localhost:5433", "trust"},
		{"[::1]:5433", "trust"},
		{"0.0.0.0:5433", "scram-sha-256"},
		{"10.1.2.3:5433", "scram-sha-256"},
	}
	for _, tc := range tests {
		a, err := authenticator(serveConfig{listen: tc.listen, auth: "auto", dataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if string(a.Default) != tc.want {
			t.Errorf("%s: default auth %q, want %q", tc.listen, a.Default, tc.want)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
