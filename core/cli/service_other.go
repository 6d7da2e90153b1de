//go:build !windows

package cli

import (
	"context"
	"fmt"
)

// serviceControl is Windows only; on Linux the daemon runs under systemd.
func serviceControl(_ context.Context, env *Env, sub string, _ serviceOptions) int {
	fmt.Fprintf(env.Stderr, "service %s: Windows services exist only on Windows; on Linux run 'ml-connector run' under systemd (see README, Running as a service)\n", sub)
	return ExitUsage
}

// runAsService: only Windows has a service control manager; a command
// line marked for it is refused rather than run as a plain daemon.
func runAsService(_ context.Context, env *Env, marked bool, _ func(context.Context) int) (int, bool) {
	if marked {
		fmt.Fprintln(env.Stderr, "run: --windows-service is for the Windows service control manager; on Linux use systemd")
		return ExitUsage, true
	}
	return 0, false
}
