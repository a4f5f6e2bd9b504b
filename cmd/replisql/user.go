package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/replisql/replisql/pgwire"
)

// userCommand runs "replisql user add": it adds or replaces one user in a
// users file, reading the password from standard input (first line), so
// that it never appears in a process listing or shell history.
func userCommand(args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: replisql user add --users-file FILE --name NAME [--method scram-sha-256|md5|password|trust] [--replication] < password"}
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	file := fs.String("users-file", "", "users file to update (created if missing)")
	name := fs.String("name", "", "user name")
	method := fs.String("method", string(pgwire.MethodSCRAM), "authentication method")
	repl := fs.Bool("replication", false, "allow replication connections")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *file == "" || *name == "" {
		return usageError{"--users-file and --name are required"}
	}
	u := pgwire.User{Name: *name, Method: pgwire.AuthMethod(*method), Replication: *repl}
	if u.Method != pgwire.MethodTrust && u.Method != pgwire.MethodReject {
		pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && pw == "" {
			return errors.New("read password from standard input: no input")
		}
		pw = strings.TrimRight(pw, "\r\n")
		if u.Method == pgwire.MethodMD5 {
			u.Verifier = pgwire.MD5Verifier(u.Name, pw)
		} else if u.Verifier, err = pgwire.SCRAMVerifier(pw); err != nil {
			return err
		}
	}
	users := pgwire.NewUsers()
	if _, err := os.Stat(*file); err == nil {
		if users, err = pgwire.LoadUsers(*file); err != nil {
			return err
		}
	}
	if err := users.Add(u); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# RepliSQL users: name:method:verifier[:attributes]\n")
	for _, u := range users.All() {
		b.WriteString(pgwire.FormatUserLine(u) + "\n")
	}
	tmp := *file + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, *file); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "user %q saved in %s\n", u.Name, *file)
	return nil
}
