package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

func init() {
	Register(Command{Name: "service", Summary: "Windows service: service install|uninstall|start|stop|status (the headless 'run' under the SCM)", Run: runService})
}

// ServiceName is the Windows service's name (sc.exe, services.msc).
const ServiceName = "ml-connector"

// serviceOptions are the install settings of the Windows service.
type serviceOptions struct {
	name       string // service name (several instances: ml-connector-test …)
	dataDir    string // the data dir the service runs on
	secretsDir string // secrets from files there instead of the account's Credential Manager
	store      string // --store for the service ("" : the data dir's)
	account    string // the account it runs as ("" : LocalSystem)
	password   string // that account's password, read from stdin, never an argument
	manual     bool   // start on demand instead of automatically at boot
}

func runService(ctx context.Context, env *Env, args []string) int {
	usage := "service install [--name N] [--data-dir DIR] [--secrets-dir DIR] [--store URL] [--account DOMAIN\\USER --password-stdin] [--manual] | service uninstall|start|stop|status [--name N]"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(env.Stderr, "usage: ml-connector %s\n", usage)
		return ExitUsage
	}
	sub := args[0]
	fs := env.Flags("service "+sub, usage)
	var o serviceOptions
	fs.StringVar(&o.name, "name", ServiceName, "the service name")
	fs.StringVar(&o.secretsDir, "secrets-dir", "", "install: the service reads its secrets from files in this folder (restrict it to the service account) instead of the account's Credential Manager")
	fs.StringVar(&o.account, "account", "", `install: run as this account (DOMAIN\user, or NT AUTHORITY\LocalService); default LocalSystem`)
	pwStdin := fs.Bool("password-stdin", false, "install: read the account's password from stdin (never give it as an argument)")
	fs.BoolVar(&o.manual, "manual", false, "install: start on demand instead of automatically at boot")
	if code, ok := Parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "service %s: unexpected %q\n", sub, fs.Arg(0))
		return ExitUsage
	}
	o.dataDir, o.store = env.DataDir, env.Store
	if *pwStdin {
		pw, err := readSecretLine(env.Stdin)
		if err != nil {
			fmt.Fprintf(env.Stderr, "service %s: password: %v\n", sub, err)
			return ExitUsage
		}
		o.password = pw
	}
	switch sub {
	case "install", "uninstall", "start", "stop", "status":
	default:
		fmt.Fprintf(env.Stderr, "service: %q is not install, uninstall, start, stop or status\n", sub)
		return ExitUsage
	}
	return serviceControl(ctx, env, sub, o)
}

// serviceArgs is the command line the SCM starts: 'run' on the chosen data
// dir, store and secrets folder. No secret is ever part of it.
func serviceArgs(o serviceOptions) []string {
	args := []string{"run", "--windows-service", "--data-dir", o.dataDir}
	if o.store != "" {
		args = append(args, "--store", o.store)
	}
	if o.secretsDir != "" {
		args = append(args, "--secrets-dir", o.secretsDir)
	}
	return args
}

// readSecretLine reads one line from r without its line ending; an empty
// line is an error.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		if err == nil || err == io.EOF {
			err = errors.New("empty")
		}
		return "", err
	}
	return pw, nil
}
