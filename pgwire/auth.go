package pgwire

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/replisql/replisql/pgwire/pgerr"
)

// ErrClientGone is in the chain of the error Authenticate returns when the
// client hangs up (or the connection fails) mid-exchange. psql does this on
// purpose: it disconnects at the first password request, prompts, and
// reconnects. There is no point sending that error to the client.
var ErrClientGone = errors.New("pgwire: client closed the connection during authentication")

// maxAuthTokenLen bounds a password or SASL message, as PostgreSQL's
// PG_MAX_AUTH_TOKEN_LENGTH does.
const maxAuthTokenLen = 65535

// Authenticator checks who a client is, after its StartupMessage and
// before AuthenticationOk. It is safe for concurrent use once set up. A
// nil *Authenticator behaves like the zero value: it rejects everyone.
type Authenticator struct {
	// Users holds the known users; nil means none.
	Users *Users
	// Default is the method for users not in Users: MethodTrust lets
	// them in, MethodReject (or "") refuses them with 28000, and a
	// password method runs the exchange for show and fails with 28P01,
	// revealing nothing about which users exist.
	Default AuthMethod
}

// MayReplicate reports whether user may open replication connections: a
// role of the users file needs its "replication" attribute; a role that
// is not in the file (let in by Default) is the bootstrap superuser, as
// every role reports is_superuser. A nil Authenticator lets everyone in.
func (a *Authenticator) MayReplicate(user string) bool {
	if a == nil {
		return true
	}
	u, ok := a.Users.Lookup(user)
	return !ok || u.Replication
}

// Authenticate runs the authentication exchange for user (the
// StartupMessage user) on be. It returns nil when the client proved who
// it is; the caller then sends AuthenticationOk and flushes (an
// AuthenticationSASLFinal may still be buffered in be). Otherwise it
// returns a FATAL *pgerr.Error for the caller to send before closing:
//
//   - 28P01 "password authentication failed for user" for a wrong
//     password, and for an unknown user under a password method;
//   - 28000 for a rejected user (method or Default reject);
//   - 08P01 for a protocol violation (wrong message, malformed SASL);
//   - 08000 wrapping ErrClientGone when the client hung up.
//
// Authenticate does not bound how long the client takes: the caller sets
// a deadline on the connection (PostgreSQL's authentication_timeout is a
// minute), and should bound message size with be.SetMaxBodyLen.
func (a *Authenticator) Authenticate(be *pgproto3.Backend, user string) error {
	defer func() { _ = be.SetAuthType(pgproto3.AuthTypeOk) }() // back to plain message decoding
	if a == nil {
		a = &Authenticator{}
	}
	u, known := a.Users.Lookup(user)
	if !known {
		u = User{Name: user, Method: a.Default}
	}
	switch u.Method {
	case MethodTrust:
		return nil
	case MethodReject, "":
		return rejected(user, known)
	case MethodPassword:
		return authCleartext(be, u)
	case MethodMD5:
		if checkMD5Verifier(u.Verifier) == nil {
			return authMD5(be, u)
		}
		return authSCRAM(be, u)
	case MethodSCRAM:
		return authSCRAM(be, u)
	default:
		return &pgerr.Error{
			Severity: pgerr.SeverityFatal, Code: pgerr.InvalidAuthorizationSpec,
			Message: fmt.Sprintf("authentication method %q for user %q is not supported", u.Method, user),
		}
	}
}

// authCleartext asks for the password in cleartext and checks it against
// the stored SCRAM or md5 verifier.
func authCleartext(be *pgproto3.Backend, u User) error {
	msg, err := exchange[*pgproto3.PasswordMessage](be, &pgproto3.AuthenticationCleartextPassword{}, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	if err := checkTokenLen(len(msg.Password)); err != nil {
		return err
	}
	if !cleartextMatches(u, msg.Password) {
		return passwordFailed(u.Name, nil)
	}
	return nil
}

// cleartextMatches checks a cleartext password against u's verifier, in
// constant time; a user without a usable verifier never matches.
func cleartextMatches(u User, password string) bool {
	if password == "" {
		return false
	}
	if secret, err := parseSCRAMVerifier(u.Verifier); err == nil {
		return secret.verifyPassword(password)
	}
	if checkMD5Verifier(u.Verifier) == nil {
		return subtle.ConstantTimeCompare([]byte(MD5Verifier(u.Name, password)), []byte(u.Verifier)) == 1
	}
	return false
}

// authMD5 runs the md5 challenge: the client answers
// "md5" + md5hex(md5hex(password + user) + salt), which the server
// computes from the stored md5(password + user).
func authMD5(be *pgproto3.Backend, u User) error {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	msg, err := exchange[*pgproto3.PasswordMessage](be, &pgproto3.AuthenticationMD5Password{Salt: salt}, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	if err := checkTokenLen(len(msg.Password)); err != nil {
		return err
	}
	want := md5Response(u.Verifier, salt)
	if subtle.ConstantTimeCompare([]byte(msg.Password), []byte(want)) != 1 {
		return passwordFailed(u.Name, nil)
	}
	return nil
}

// md5Response is the PasswordMessage a client with the right password
// sends for the md5 verifier and salt.
func md5Response(verifier string, salt [4]byte) string {
	sum := md5.Sum(append([]byte(verifier[len(md5Prefix):]), salt[:]...))
	return md5Prefix + fmt.Sprintf("%x", sum)
}

// authSCRAM runs SCRAM-SHA-256. A user without a SCRAM verifier (unknown,
// or md5 only) gets a mock exchange that fails at the proof, as in
// PostgreSQL.
func authSCRAM(be *pgproto3.Backend, u User) error {
	secret, err := parseSCRAMVerifier(u.Verifier)
	doomed := err != nil
	if doomed {
		secret = mockSCRAMSecret(u.Name)
	}
	server := newSCRAMServer(secret, doomed)

	initial, err := exchange[*pgproto3.SASLInitialResponse](be,
		&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}}, pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	if initial.AuthMechanism != scramMechanism {
		return protocolViolation(nil, "client selected an invalid SASL authentication mechanism %q", initial.AuthMechanism)
	}
	if err := checkTokenLen(len(initial.Data)); err != nil {
		return err
	}
	serverFirst, err := server.serverFirstMessage(initial.Data)
	if err != nil {
		return scramFailed(u.Name, err)
	}

	final, err := exchange[*pgproto3.SASLResponse](be,
		&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}, pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	if err := checkTokenLen(len(final.Data)); err != nil {
		return err
	}
	serverFinal, err := server.serverFinalMessage(final.Data)
	if err != nil {
		return scramFailed(u.Name, err)
	}
	be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}

// exchange sends an authentication request, flushes, and receives the
// client's answer, which must be a T.
func exchange[T pgproto3.FrontendMessage](be *pgproto3.Backend, request pgproto3.BackendMessage, authType uint32) (T, error) {
	var zero T
	be.Send(request)
	if err := be.Flush(); err != nil {
		return zero, clientGone(err)
	}
	if err := be.SetAuthType(authType); err != nil {
		return zero, fmt.Errorf("set auth type: %w", err)
	}
	msg, err := be.Receive()
	if err != nil {
		if isConnectionError(err) {
			return zero, clientGone(err)
		}
		return zero, protocolViolation(err, "invalid authentication response: %v", err)
	}
	switch m := msg.(type) {
	case T:
		return m, nil
	case *pgproto3.Terminate:
		return zero, clientGone(io.EOF)
	default:
		return zero, protocolViolation(nil, "expected password response, got %T", msg)
	}
}

// isConnectionError tells a failed or closed connection from a message
// that did not decode.
func isConnectionError(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &netErr)
}

// checkTokenLen refuses oversized passwords and SASL messages.
func checkTokenLen(n int) error {
	if n > maxAuthTokenLen {
		return protocolViolation(nil, "authentication message too long (%d bytes)", n)
	}
	return nil
}

// scramFailed maps a SCRAM exchange error to the error sent to the client.
func scramFailed(user string, err error) error {
	if errors.Is(err, errSCRAMBadProof) {
		return passwordFailed(user, err)
	}
	return protocolViolation(err, "malformed SCRAM message")
}

// passwordFailed is PostgreSQL's error for a wrong password. It is the
// same for unknown users.
func passwordFailed(user string, cause error) *pgerr.Error {
	e := pgerr.Fatal(pgerr.InvalidPassword, "password authentication failed for user %q", user)
	e.Cause = cause
	return e
}

// rejected refuses user: unknown under Default reject, or method reject.
func rejected(user string, known bool) *pgerr.Error {
	if !known {
		return pgerr.Fatal(pgerr.InvalidAuthorizationSpec, "role %q does not exist", user)
	}
	return pgerr.Fatal(pgerr.InvalidAuthorizationSpec, "authentication rejected for user %q", user)
}

// protocolViolation is a FATAL 08P01 that keeps cause for the logs; the
// reason a SCRAM message is malformed goes to the client as Detail.
func protocolViolation(cause error, format string, args ...any) *pgerr.Error {
	e := pgerr.Fatal(pgerr.ProtocolViolation, format, args...)
	e.Cause = cause
	var syntaxErr *scramSyntaxError
	if errors.As(cause, &syntaxErr) {
		e.Detail = syntaxErr.reason
	}
	return e
}

// clientGone is the error for a client that hung up mid-exchange.
func clientGone(err error) *pgerr.Error {
	e := pgerr.Fatal(pgerr.ConnectionException, "client closed the connection during authentication")
	e.Cause = fmt.Errorf("%w: %w", ErrClientGone, err)
	return e
}
