package pgwire

// SCRAM-SHA-256, server side (RFC 5802 and RFC 7677), as PostgreSQL
// speaks it:
//
//	C: client-first  = gs2-header client-first-bare
//	   gs2-header    = ("n" | "y") "," ","       ("p=..." is refused: no -PLUS)
//	   client-first-bare = n=<ignored>,r=<c-nonce>[,extensions]
//	S: server-first  = r=<c-nonce><s-nonce>,s=<salt b64>,i=<iterations>
//	C: client-final  = c=<b64(gs2-header)>,r=<c-nonce><s-nonce>[,ext],p=<b64 proof>
//	S: server-final  = v=<b64 ServerSignature>
//
//	AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
//	ClientSignature = HMAC(StoredKey, AuthMessage)
//	ClientKey       = ClientProof XOR ClientSignature; MUST hash to StoredKey
//	ServerSignature = HMAC(ServerKey, AuthMessage)
//
// The user name in client-first is IGNORED (clients send "", "*" or the
// name); the server uses the StartupMessage user, as PostgreSQL does.

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/secure/precis"
)

const (
	scramMechanism      = "SCRAM-SHA-256"
	scramVerifierPrefix = "SCRAM-SHA-256$"
	// scramIterations and scramSaltLen are PostgreSQL's defaults.
	scramIterations = 4096
	scramSaltLen    = 16
	// scramNonceLen is the number of random bytes in the server nonce.
	scramNonceLen = 18
	// scramMaxIterations bounds the iteration count of a stored verifier;
	// pgx refuses more than this.
	scramMaxIterations = 10_000_000
)

// SCRAM exchange errors. Authenticate maps errSCRAMMalformed to 08P01 and
// errSCRAMBadProof to 28P01.
var (
	errSCRAMMalformed = errors.New("pgwire: malformed SCRAM message")
	errSCRAMBadProof  = errors.New("pgwire: SCRAM client proof does not match")
)

// b64 is the base64 alphabet SCRAM uses: standard, padded.
var b64 = base64.StdEncoding.Strict()

// scramSecret is a parsed SCRAM-SHA-256 verifier.
type scramSecret struct {
	iterations int
	salt       []byte
	storedKey  []byte // H(ClientKey)
	serverKey  []byte
}

// SCRAMVerifier returns a PostgreSQL-format SCRAM-SHA-256 verifier for
// password with a random 16-byte salt and 4096 iterations. The password is
// normalized with SASLprep first, like PostgreSQL and pgx do.
func SCRAMVerifier(password string) (string, error) {
	if password == "" {
		return "", ErrEmptyPassword
	}
	salt := make([]byte, scramSaltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand, Go 1.24+)
	secret, err := newSCRAMSecret(password, salt, scramIterations)
	if err != nil {
		return "", err
	}
	return secret.String(), nil
}

// newSCRAMSecret derives the secret of password with salt and iterations.
func newSCRAMSecret(password string, salt []byte, iterations int) (scramSecret, error) {
	salted, err := pbkdf2.Key(sha256.New, saslPrep(password), salt, iterations, sha256.Size)
	if err != nil {
		return scramSecret{}, fmt.Errorf("scram: derive key: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	return scramSecret{
		iterations: iterations,
		salt:       salt,
		storedKey:  storedKey[:],
		serverKey:  hmacSHA256(salted, "Server Key"),
	}, nil
}

// String formats the secret as PostgreSQL stores it:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func (s scramSecret) String() string {
	return fmt.Sprintf("%s%d:%s$%s:%s", scramVerifierPrefix, s.iterations,
		b64.EncodeToString(s.salt), b64.EncodeToString(s.storedKey), b64.EncodeToString(s.serverKey))
}

// parseSCRAMVerifier parses a verifier in PostgreSQL's format.
func parseSCRAMVerifier(v string) (scramSecret, error) {
	bad := func(why string) (scramSecret, error) {
		return scramSecret{}, fmt.Errorf("%w: SCRAM verifier %s; want %s<iterations>:<salt>$<StoredKey>:<ServerKey>",
			ErrInvalidVerifier, why, scramVerifierPrefix)
	}
	rest, ok := strings.CutPrefix(v, scramVerifierPrefix)
	if !ok {
		return bad("has the wrong prefix")
	}
	iterSalt, keys, ok1 := strings.Cut(rest, "$")
	iterStr, saltStr, ok2 := strings.Cut(iterSalt, ":")
	storedStr, serverStr, ok3 := strings.Cut(keys, ":")
	if !ok1 || !ok2 || !ok3 {
		return bad("is incomplete")
	}
	iterations, err := strconv.Atoi(iterStr)
	if err != nil || iterations < 1 || iterations > scramMaxIterations {
		return bad("has a bad iteration count")
	}
	salt, err := b64.DecodeString(saltStr)
	if err != nil || len(salt) == 0 {
		return bad("has a bad salt")
	}
	storedKey, err1 := b64.DecodeString(storedStr)
	serverKey, err2 := b64.DecodeString(serverStr)
	if err1 != nil || err2 != nil || len(storedKey) != sha256.Size || len(serverKey) != sha256.Size {
		return bad("has bad keys")
	}
	return scramSecret{iterations: iterations, salt: salt, storedKey: storedKey, serverKey: serverKey}, nil
}

// verifyPassword reports whether a cleartext password matches the secret
// (for the password method), in constant time.
func (s scramSecret) verifyPassword(password string) bool {
	other, err := newSCRAMSecret(password, s.salt, s.iterations)
	return err == nil && subtle.ConstantTimeCompare(other.storedKey, s.storedKey) == 1
}

// scramMockKey makes mock salts for unknown users: the same user always
// gets the same salt within one process, so probing does not reveal
// whether a user exists.
var scramMockKey = func() []byte {
	key := make([]byte, sha256.Size)
	_, _ = rand.Read(key)
	return key
}()

// mockSCRAMSecret is the secret shown to a user who has none. No proof
// matches it; callers also mark the exchange as doomed.
func mockSCRAMSecret(user string) scramSecret {
	return scramSecret{
		iterations: scramIterations,
		salt:       hmacSHA256(scramMockKey, user)[:scramSaltLen],
		storedKey:  make([]byte, sha256.Size),
		serverKey:  make([]byte, sha256.Size),
	}
}

// saslPrep normalizes a password as PostgreSQL's pg_saslprep does: ASCII
// is unchanged, otherwise SASLprep (approximated, as pgx does, by the
// PRECIS OpaqueString profile), and the raw password when that fails.
func saslPrep(password string) string {
	if isASCII(password) {
		return password
	}
	prepped, err := precis.OpaqueString.String(password)
	if err != nil {
		return password
	}
	return prepped
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

// scramClientFirst is a parsed client-first-message.
type scramClientFirst struct {
	gs2Header string // "n,," or "y,,"; client-final MUST echo it in c=
	bare      string // client-first-message-bare, part of AuthMessage
	nonce     string // the client's nonce
}

// parseSCRAMClientFirst parses a client-first-message. Channel binding
// ("p=") and authorization identities are refused, as is the mandatory
// extension "m=".
func parseSCRAMClientFirst(data []byte) (scramClientFirst, error) {
	msg := string(data)
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return scramClientFirst{}, scramMalformed("missing GS2 header")
	}
	switch {
	case flag == "n" || flag == "y":
	case strings.HasPrefix(flag, "p="):
		return scramClientFirst{}, scramMalformed("client requested channel binding, but the server offered only %s", scramMechanism)
	default:
		return scramClientFirst{}, scramMalformed("unexpected channel-binding flag %q", flag)
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return scramClientFirst{}, scramMalformed("incomplete GS2 header")
	}
	if authzid != "" {
		return scramClientFirst{}, scramMalformed("authorization identity is not supported")
	}
	attrs := strings.Split(bare, ",")
	if strings.HasPrefix(attrs[0], "m=") {
		return scramClientFirst{}, scramMalformed("client requires an unsupported SCRAM extension")
	}
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") {
		return scramClientFirst{}, scramMalformed("expected user name attribute n=")
	}
	nonce, ok := strings.CutPrefix(attrs[1], "r=")
	if !ok || !isSCRAMPrintable(nonce) {
		return scramClientFirst{}, scramMalformed("expected a printable nonce attribute r=")
	}
	return scramClientFirst{gs2Header: flag + ",,", bare: bare, nonce: nonce}, nil
}

// scramClientFinal is a parsed client-final-message.
type scramClientFinal struct {
	channelBinding []byte // decoded c= attribute
	nonce          string // client nonce + server nonce
	withoutProof   string // client-final-message-without-proof, part of AuthMessage
	proof          []byte // ClientProof
}

// parseSCRAMClientFinal parses a client-final-message; extensions between
// r= and p= are ignored.
func parseSCRAMClientFinal(data []byte) (scramClientFinal, error) {
	msg := string(data)
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return scramClientFinal{}, scramMalformed("missing proof attribute p=")
	}
	withoutProof := msg[:i]
	proof, err := b64.DecodeString(msg[i+len(",p="):])
	if err != nil || len(proof) != sha256.Size {
		return scramClientFinal{}, scramMalformed("invalid client proof")
	}
	attrs := strings.Split(withoutProof, ",")
	cb, ok := strings.CutPrefix(attrs[0], "c=")
	if !ok {
		return scramClientFinal{}, scramMalformed("expected channel-binding attribute c=")
	}
	binding, err := b64.DecodeString(cb)
	if err != nil {
		return scramClientFinal{}, scramMalformed("invalid channel-binding data")
	}
	if len(attrs) < 2 || !strings.HasPrefix(attrs[1], "r=") {
		return scramClientFinal{}, scramMalformed("expected nonce attribute r=")
	}
	return scramClientFinal{
		channelBinding: binding,
		nonce:          attrs[1][len("r="):],
		withoutProof:   withoutProof,
		proof:          proof,
	}, nil
}

// isSCRAMPrintable reports whether s is a non-empty RFC 5802 "printable":
// %x21-2B / %x2D-7E.
func isSCRAMPrintable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// scramSyntaxError is a malformed SCRAM message; it matches
// errSCRAMMalformed and its reason is fit to show the client.
type scramSyntaxError struct{ reason string }

func (e *scramSyntaxError) Error() string        { return errSCRAMMalformed.Error() + ": " + e.reason }
func (e *scramSyntaxError) Is(target error) bool { return target == errSCRAMMalformed }

func scramMalformed(format string, args ...any) error {
	return &scramSyntaxError{reason: fmt.Sprintf(format, args...)}
}

// scramServer is the server side of one SCRAM-SHA-256 exchange: call
// serverFirst, then serverFinal.
type scramServer struct {
	secret scramSecret
	// doomed makes the exchange fail at the proof whatever the client
	// sends: the user is unknown or has no SCRAM secret.
	doomed      bool
	serverNonce string

	clientFirst scramClientFirst // set by serverFirst
	serverFirst string           // set by serverFirst
}

// newSCRAMServer starts an exchange against secret with a random nonce.
func newSCRAMServer(secret scramSecret, doomed bool) *scramServer {
	raw := make([]byte, scramNonceLen)
	_, _ = rand.Read(raw)
	return &scramServer{secret: secret, doomed: doomed, serverNonce: b64.EncodeToString(raw)}
}

// serverFirstMessage handles the client-first-message and returns the
// server-first-message.
func (s *scramServer) serverFirstMessage(clientFirst []byte) (string, error) {
	cf, err := parseSCRAMClientFirst(clientFirst)
	if err != nil {
		return "", err
	}
	s.clientFirst = cf
	s.serverFirst = fmt.Sprintf("r=%s%s,s=%s,i=%d",
		cf.nonce, s.serverNonce, b64.EncodeToString(s.secret.salt), s.secret.iterations)
	return s.serverFirst, nil
}

// serverFinalMessage handles the client-final-message, checks the proof
// and returns the server-final-message. A wrong proof is errSCRAMBadProof;
// anything else wrong is errSCRAMMalformed.
func (s *scramServer) serverFinalMessage(clientFinal []byte) (string, error) {
	if s.serverFirst == "" {
		return "", scramMalformed("client-final-message before client-first-message")
	}
	cf, err := parseSCRAMClientFinal(clientFinal)
	if err != nil {
		return "", err
	}
	if cf.nonce != s.clientFirst.nonce+s.serverNonce {
		return "", scramMalformed("nonce mismatch")
	}
	if !bytes.Equal(cf.channelBinding, []byte(s.clientFirst.gs2Header)) {
		return "", scramMalformed("channel-binding check failed")
	}
	authMessage := s.clientFirst.bare + "," + s.serverFirst + "," + cf.withoutProof
	if !s.proofMatches(authMessage, cf.proof) || s.doomed {
		return "", errSCRAMBadProof
	}
	return "v=" + b64.EncodeToString(hmacSHA256(s.secret.serverKey, authMessage)), nil
}

// proofMatches recovers ClientKey from the proof and compares its hash
// with StoredKey in constant time.
func (s *scramServer) proofMatches(authMessage string, proof []byte) bool {
	signature := hmacSHA256(s.secret.storedKey, authMessage)
	clientKey := make([]byte, len(proof))
	subtle.XORBytes(clientKey, proof, signature)
	storedKey := sha256.Sum256(clientKey)
	return subtle.ConstantTimeCompare(storedKey[:], s.secret.storedKey) == 1
}
