package pgwire

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// pgMD5User is the md5 role of the PostgreSQL captures in
// /work/shared/clients: md5user with password md5pass.
const (
	pgMD5User     = "md5user"
	pgMD5Password = "md5pass"
)

func TestMD5Verifier(t *testing.T) {
	v := MD5Verifier(pgMD5User, pgMD5Password)
	if err := checkMD5Verifier(v); err != nil {
		t.Fatalf("MD5Verifier output %q rejected: %v", v, err)
	}
	// The pgJDBC capture: PostgreSQL sent salt 9389016a and accepted this.
	const want = "md5c60c9e355fe7f9654c96d419c19056e2"
	if got := md5Response(v, [4]byte{0x93, 0x89, 0x01, 0x6a}); got != want {
		t.Errorf("md5 response = %q, want %q", got, want)
	}
	// md5("foo" + "bar") = md5("foobar").
	if got := MD5Verifier("bar", "foo"); got != "md53858f62230ac3c915f300c664312c63f" {
		t.Errorf("MD5Verifier(bar, foo) = %q", got)
	}
}

func TestUsersParseLine(t *testing.T) {
	md5v := MD5Verifier("bob", "pw")
	tests := []struct {
		name    string
		line    string
		want    User
		wantErr error
	}{
		{name: "scram", line: "alice:scram-sha-256:" + pgScramVerifier,
			want: User{Name: "alice", Method: MethodSCRAM, Verifier: pgScramVerifier}},
		{name: "md5", line: "bob:md5:" + md5v, want: User{Name: "bob", Method: MethodMD5, Verifier: md5v}},
		{name: "md5 method with scram verifier", line: "bob:md5:" + pgScramVerifier,
			want: User{Name: "bob", Method: MethodMD5, Verifier: pgScramVerifier}},
		{name: "password scram", line: "pat:password:" + pgScramVerifier,
			want: User{Name: "pat", Method: MethodPassword, Verifier: pgScramVerifier}},
		{name: "password md5", line: "pat:password:" + md5v, want: User{Name: "pat", Method: MethodPassword, Verifier: md5v}},
		{name: "trust", line: "carol:trust", want: User{Name: "carol", Method: MethodTrust}},
		{name: "trust keeps verifier", line: "carol:trust:" + md5v, want: User{Name: "carol", Method: MethodTrust, Verifier: md5v}},
		{name: "reject", line: "mallory:reject", want: User{Name: "mallory", Method: MethodReject}},
		{name: "replication", line: "repl:scram-sha-256:" + pgScramVerifier + ",replication",
			want: User{Name: "repl", Method: MethodSCRAM, Verifier: pgScramVerifier, Replication: true}},
		{name: "trust replication", line: "r:trust,replication", want: User{Name: "r", Method: MethodTrust, Replication: true}},
		{name: "unicode name", line: "zoë:trust", want: User{Name: "zoë", Method: MethodTrust}},

		{name: "no method", line: "alice", wantErr: ErrInvalidUserEntry},
		{name: "empty name", line: ":trust", wantErr: ErrInvalidUserName},
		{name: "space in name", line: "al ice:trust", wantErr: ErrInvalidUserName},
		{name: "unknown method", line: "alice:ident", wantErr: ErrUnknownAuthMethod},
		{name: "method case", line: "alice:MD5:" + md5v, wantErr: ErrUnknownAuthMethod},
		{name: "plaintext password", line: "alice:password:hunter2", wantErr: ErrInvalidVerifier},
		{name: "md5 without verifier", line: "bob:md5", wantErr: ErrInvalidVerifier},
		{name: "scram with md5 verifier", line: "bob:scram-sha-256:" + md5v, wantErr: ErrInvalidVerifier},
		{name: "short md5", line: "bob:md5:md5abc", wantErr: ErrInvalidVerifier},
		{name: "upper-case md5", line: "bob:md5:" + strings.ToUpper(md5v[3:]), wantErr: ErrInvalidVerifier},
		{name: "broken scram", line: "alice:scram-sha-256:SCRAM-SHA-256$4096:abc", wantErr: ErrInvalidVerifier},
		{name: "unknown attribute", line: "carol:trust,superuser", wantErr: ErrInvalidUserEntry},
		{name: "empty attribute", line: "carol:trust,", wantErr: ErrInvalidUserEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseUserLine(tt.line)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("parseUserLine(%q) err = %v, want %v", tt.line, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseUserLine(%q): %v", tt.line, err)
			}
			if got != tt.want {
				t.Errorf("parseUserLine(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
			if line := FormatUserLine(got); line != tt.line {
				t.Errorf("FormatUserLine = %q, want %q", line, tt.line)
			}
		})
	}
}

// writeUsersFile writes content to a users file in a temporary directory.
func writeUsersFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsersLoad(t *testing.T) {
	path := writeUsersFile(t, strings.Join([]string{
		"# RepliSQL users",
		"",
		"alice:scram-sha-256:" + pgScramVerifier,
		"   # indented comment",
		"  bob:md5:" + MD5Verifier("bob", "pw") + "  \r",
		"carol:trust,replication",
	}, "\n"))
	users, err := LoadUsers(path)
	if err != nil {
		t.Fatalf("LoadUsers: %v", err)
	}
	var names []string
	for _, u := range users.All() {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, ","); got != "alice,bob,carol" {
		t.Errorf("users = %s, want alice,bob,carol", got)
	}
	if u, ok := users.Lookup("carol"); !ok || u.Method != MethodTrust || !u.Replication {
		t.Errorf("Lookup(carol) = %+v, %v", u, ok)
	}
	if _, ok := users.Lookup("dave"); ok {
		t.Error("Lookup(dave) found a user")
	}
}

func TestUsersLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantLine string
		wantErr  error
	}{
		{"bad method", "# ok\ncarol:trust\n\nbob:md6:x\n", "line 4:", ErrUnknownAuthMethod},
		{"duplicate", "carol:trust\ncarol:reject\n", "line 2:", ErrInvalidUserEntry},
		{"plaintext", "alice:scram-sha-256:secret\n", "line 1:", ErrInvalidVerifier},
		{"too long", "carol:trust\n" + strings.Repeat("x", 70000) + "\n", "line 2:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeUsersFile(t, tt.content)
			_, err := LoadUsers(path)
			if err == nil {
				t.Fatal("LoadUsers succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantLine) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %q, want it to name %q and the file", err, tt.wantLine)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := LoadUsers(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want os.ErrNotExist", err)
		}
	})
}

func TestUsersAdd(t *testing.T) {
	users := NewUsers()
	v, err := SCRAMVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Add(User{Name: "alice", Method: MethodSCRAM, Verifier: v}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := users.Add(User{Name: "alice", Method: MethodTrust}); err != nil {
		t.Fatalf("Add replacing: %v", err)
	}
	if u, _ := users.Lookup("alice"); u.Method != MethodTrust {
		t.Errorf("alice not replaced: %+v", u)
	}
	if err := users.Add(User{Name: "bob", Method: MethodSCRAM, Verifier: "pw"}); !errors.Is(err, ErrInvalidVerifier) {
		t.Errorf("Add with plaintext: err = %v, want ErrInvalidVerifier", err)
	}
	if _, ok := users.Lookup("bob"); ok {
		t.Error("invalid user was added")
	}
	var zero Users // the zero value works too
	if err := zero.Add(User{Name: "z", Method: MethodTrust}); err != nil {
		t.Fatal(err)
	}
	if _, ok := zero.Lookup("z"); !ok {
		t.Error("zero Users lost its user")
	}
	var none *Users
	if _, ok := none.Lookup("z"); ok || none.All() != nil {
		t.Error("nil *Users is not empty")
	}
}

func TestUsersConcurrentAddLookup(t *testing.T) {
	users := NewUsers()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				name := string(rune('a'+i)) + strings.Repeat("x", j)
				if err := users.Add(User{Name: name, Method: MethodTrust}); err != nil {
					t.Error(err)
					return
				}
				if _, ok := users.Lookup(name); !ok {
					t.Errorf("lost %s", name)
				}
			}
		})
	}
	wg.Wait()
	if n := len(users.All()); n != 200 {
		t.Errorf("%d users, want 200", n)
	}
}

func TestUsersFileRoundTrip(t *testing.T) {
	v, _ := SCRAMVerifier("pw")
	in := []User{
		{Name: "a", Method: MethodSCRAM, Verifier: v, Replication: true},
		{Name: "b", Method: MethodMD5, Verifier: MD5Verifier("b", "pw")},
		{Name: "c", Method: MethodTrust},
	}
	var b strings.Builder
	for _, u := range in {
		b.WriteString(FormatUserLine(u) + "\n")
	}
	users, err := ReadUsers(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("ReadUsers: %v", err)
	}
	out := users.All()
	if len(out) != len(in) {
		t.Fatalf("got %d users, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("user %d = %+v, want %+v", i, out[i], in[i])
		}
	}
}

func FuzzUsersLine(f *testing.F) {
	f.Add("alice:scram-sha-256:" + pgScramVerifier + ",replication")
	f.Add("bob:md5:" + MD5Verifier("bob", "pw"))
	f.Add("carol:trust")
	f.Add("x:password:SCRAM-SHA-256$1:$:")
	f.Fuzz(func(t *testing.T, line string) {
		u, err := parseUserLine(line)
		if err != nil {
			return
		}
		again, err := parseUserLine(FormatUserLine(u))
		if err != nil || again != u {
			t.Errorf("%q: round trip gave %+v, %v; want %+v", line, again, err, u)
		}
	})
}
