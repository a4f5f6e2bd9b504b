package pgwire

// Users file format
//
// A users file lists the roles RepliSQL knows and how each one logs in.
// It is UTF-8 text, one entry per line:
//
//	name:method[:verifier][,attribute]...
//
// Blank lines and lines whose first non-blank character is '#' are
// ignored; surrounding white space (and a CR before the LF) is trimmed.
// Comments at the end of an entry are NOT allowed.
//
//   - name is the role name as the client sends it in its StartupMessage.
//     It MUST be non-empty and MUST NOT contain ':', ',', white space or
//     control characters, nor start with '#'.
//   - method is one of trust, reject, password, md5, scram-sha-256 (see
//     AuthMethod).
//   - verifier is how the password is stored. Plaintext is NEVER stored.
//     Two forms exist, the ones PostgreSQL keeps in pg_authid.rolpassword:
//     SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (standard
//     base64 with padding; StoredKey and ServerKey are 32 bytes), made by
//     SCRAMVerifier, and md5<32 lowercase hex digits> = md5(password ||
//     name), made by MD5Verifier. scram-sha-256 REQUIRES a SCRAM verifier;
//     password and md5 REQUIRE either form; trust and reject take an
//     optional verifier, which is kept but ignored.
//   - attributes follow the entry, each after a ','. The only one today is
//     "replication": the role may open replication connections.
//
// A name MUST NOT appear twice. Examples:
//
//	# name:method:verifier,attributes
//	alice:scram-sha-256:SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>
//	bob:md5:md5d4a5b7c62e6fc2d8c0a3e4b0e2f3f1a9
//	carol:trust
//	repl:scram-sha-256:SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>,replication

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// AuthMethod says how a user proves who they are.
type AuthMethod string

// Authentication methods. The names are those of pg_hba.conf.
const (
	// MethodTrust accepts the user without a password.
	MethodTrust AuthMethod = "trust"
	// MethodReject refuses the user (FATAL 28000).
	MethodReject AuthMethod = "reject"
	// MethodPassword asks for the password in cleartext and checks it
	// against the stored verifier; use it only over TLS.
	MethodPassword AuthMethod = "password"
	// MethodMD5 runs the md5 challenge when an md5 verifier is stored and
	// SCRAM-SHA-256 when a SCRAM verifier is stored, as PostgreSQL does.
	MethodMD5 AuthMethod = "md5"
	// MethodSCRAM runs SCRAM-SHA-256 (RFC 5802, RFC 7677).
	MethodSCRAM AuthMethod = "scram-sha-256"
)

// replicationAttribute is the users-file attribute that sets
// User.Replication.
const replicationAttribute = "replication"

// Errors about users and verifiers. They are wrapped with detail; test
// with errors.Is.
var (
	ErrInvalidUserName   = errors.New("pgwire: invalid user name")
	ErrUnknownAuthMethod = errors.New("pgwire: unknown authentication method")
	ErrInvalidVerifier   = errors.New("pgwire: invalid password verifier")
	ErrInvalidUserEntry  = errors.New("pgwire: invalid users file entry")
	ErrEmptyPassword     = errors.New("pgwire: empty password")
)

// User is one entry of the users file.
type User struct {
	Name   string
	Method AuthMethod
	// Verifier is the stored password: a SCRAM-SHA-256 verifier, an md5
	// hash, or empty (only for trust and reject). See the file format.
	Verifier string
	// Replication allows replication connections (the "replication"
	// attribute).
	Replication bool
}

// Users is a set of users keyed by name. It is safe for concurrent use:
// readers see an immutable snapshot, writers copy it.
type Users struct {
	mu     sync.Mutex                      // serializes writers (Add)
	byName atomic.Pointer[map[string]User] // current snapshot; never mutated
}

// NewUsers returns an empty set of users.
func NewUsers() *Users {
	u := &Users{}
	u.byName.Store(&map[string]User{})
	return u
}

// LoadUsers reads a users file. The format is specified at the top of
// users.go.
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	defer f.Close()
	users, err := ReadUsers(f)
	if err != nil {
		return nil, fmt.Errorf("load users %q: %w", path, err)
	}
	return users, nil
}

// ReadUsers reads users in the users-file format from r. An error names
// the 1-based line it is about.
func ReadUsers(r io.Reader) (*Users, error) {
	byName := make(map[string]User)
	firstLine := make(map[string]int)
	sc := bufio.NewScanner(r)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		u, err := parseUserLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if first, dup := firstLine[u.Name]; dup {
			return nil, fmt.Errorf("line %d: %w: user %q already defined on line %d",
				lineNo, ErrInvalidUserEntry, u.Name, first)
		}
		byName[u.Name] = u
		firstLine[u.Name] = lineNo
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	users := &Users{}
	users.byName.Store(&byName)
	return users, nil
}

// parseUserLine parses one non-blank, non-comment line.
func parseUserLine(line string) (User, error) {
	entry, attrs, hasAttrs := strings.Cut(line, ",")
	fields := strings.SplitN(entry, ":", 3)
	if len(fields) < 2 {
		return User{}, fmt.Errorf("%w: want name:method[:verifier][,attribute...]", ErrInvalidUserEntry)
	}
	u := User{Name: fields[0], Method: AuthMethod(fields[1])}
	if len(fields) == 3 {
		u.Verifier = fields[2]
	}
	if hasAttrs {
		for attr := range strings.SplitSeq(attrs, ",") {
			if attr != replicationAttribute {
				return User{}, fmt.Errorf("%w: unknown attribute %q", ErrInvalidUserEntry, attr)
			}
			u.Replication = true
		}
	}
	if err := validateUser(u); err != nil {
		return User{}, err
	}
	return u, nil
}

// FormatUserLine returns u as a users-file line, without the newline.
func FormatUserLine(u User) string {
	var b strings.Builder
	b.WriteString(u.Name)
	b.WriteByte(':')
	b.WriteString(string(u.Method))
	if u.Verifier != "" {
		b.WriteByte(':')
		b.WriteString(u.Verifier)
	}
	if u.Replication {
		b.WriteString("," + replicationAttribute)
	}
	return b.String()
}

// Add adds u, replacing any user of the same name, after checking the
// entry as LoadUsers would.
func (us *Users) Add(u User) error {
	if err := validateUser(u); err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	next := make(map[string]User)
	if cur := us.byName.Load(); cur != nil {
		next = make(map[string]User, len(*cur)+1)
		for name, old := range *cur {
			next[name] = old
		}
	}
	next[u.Name] = u
	us.byName.Store(&next)
	return nil
}

// Lookup returns the user called name. A nil *Users holds no users.
func (us *Users) Lookup(name string) (User, bool) {
	if us == nil {
		return User{}, false
	}
	cur := us.byName.Load()
	if cur == nil {
		return User{}, false
	}
	u, ok := (*cur)[name]
	return u, ok
}

// All returns every user, sorted by name (for writing a users file).
func (us *Users) All() []User {
	if us == nil {
		return nil
	}
	cur := us.byName.Load()
	if cur == nil {
		return nil
	}
	all := make([]User, 0, len(*cur))
	for _, u := range *cur {
		all = append(all, u)
	}
	slices.SortFunc(all, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// validateUser checks the name, the method, and that the verifier suits
// the method.
func validateUser(u User) error {
	if err := validateUserName(u.Name); err != nil {
		return err
	}
	switch u.Method {
	case MethodTrust, MethodReject, MethodPassword, MethodMD5, MethodSCRAM:
	default:
		return fmt.Errorf("%w %q", ErrUnknownAuthMethod, u.Method)
	}
	isSCRAM, err := checkVerifier(u.Verifier)
	switch {
	case err != nil:
		return err
	case u.Verifier == "" && (u.Method == MethodPassword || u.Method == MethodMD5):
		return fmt.Errorf("%w: method %s needs a verifier", ErrInvalidVerifier, u.Method)
	case !isSCRAM && u.Method == MethodSCRAM:
		return fmt.Errorf("%w: method %s needs a SCRAM-SHA-256 verifier", ErrInvalidVerifier, u.Method)
	}
	return nil
}

// validateUserName enforces the name rules of the users file.
func validateUserName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidUserName)
	}
	if name[0] == '#' {
		return fmt.Errorf("%w %q: starts with '#'", ErrInvalidUserName, name)
	}
	for _, r := range name {
		if r == ':' || r == ',' || unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w %q: contains %q", ErrInvalidUserName, name, r)
		}
	}
	return nil
}

// checkVerifier reports whether v is a SCRAM verifier; an empty v is
// valid and not SCRAM.
func checkVerifier(v string) (isSCRAM bool, err error) {
	switch {
	case v == "":
		return false, nil
	case strings.HasPrefix(v, scramVerifierPrefix):
		_, err := parseSCRAMVerifier(v)
		return err == nil, err
	case strings.HasPrefix(v, md5Prefix):
		return false, checkMD5Verifier(v)
	default:
		return false, fmt.Errorf("%w: want %s... or %s...", ErrInvalidVerifier, scramVerifierPrefix, md5Prefix)
	}
}

// md5Prefix starts md5 verifiers and md5 password responses.
const md5Prefix = "md5"

// MD5Verifier returns the md5 verifier of a password as pg_authid stores
// it: "md5" followed by the hex md5 of password then user name.
func MD5Verifier(user, password string) string {
	return md5Prefix + md5Hex(password+user)
}

// checkMD5Verifier checks the form md5<32 lowercase hex digits>.
func checkMD5Verifier(v string) error {
	digits := strings.TrimPrefix(v, md5Prefix)
	if len(digits) != 2*md5.Size || strings.Trim(digits, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: md5 verifier must be md5 followed by 32 lowercase hex digits", ErrInvalidVerifier)
	}
	return nil
}

// md5Hex is the lowercase hex md5 of s.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
