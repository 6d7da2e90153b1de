//go:build windows

package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// runAsService runs the daemon under the service control manager when the
// process was started by it (the --windows-service mark 'service install'
// writes, or a parent services.exe in session 0): Stop and Shutdown cancel the daemon's context
// (it finishes the step in progress, as on SIGTERM), and the SCM hears
// StartPending, Running, StopPending and Stopped with the exit code.
func runAsService(ctx context.Context, env *Env, marked bool, run func(context.Context) int) (int, bool) {
	if !marked {
		if is, err := svc.IsWindowsService(); err != nil || !is {
			return 0, false
		}
	}
	h := &serviceHandler{run: run, ctx: ctx}
	// The SCM knows the service by the name it was installed under; with
	// one process per service any name is accepted (SERVICE_WIN32_OWN_PROCESS).
	if err := svc.Run(ServiceName, h); err != nil {
		fmt.Fprintf(env.Stderr, "run: as a Windows service: %v\n", err)
		return ExitFailure, true
	}
	return h.code, true
}

type serviceHandler struct {
	run  func(context.Context) int
	ctx  context.Context
	code int
}

// Execute is the service's main: it reports Running once the daemon has
// started, and stops it on Stop or Shutdown.
func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.run(ctx) }()
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	status <- svc.Status{State: svc.Running, Accepts: accepts}
	for {
		select {
		case code := <-done:
			h.code = code
			status <- svc.Status{State: svc.StopPending}
			return false, uint32(code)
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				// The daemon drains: up to its 2-minute bound for a
				// remote call in flight; the SCM is told to wait.
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32((2*time.Minute + 30*time.Second) / time.Millisecond)}
				cancel()
			}
		}
	}
}

// serviceControl installs, removes, starts, stops or describes the service.
func serviceControl(ctx context.Context, env *Env, sub string, o serviceOptions) int {
	m, err := mgr.Connect()
	if err != nil {
		return fail(env, "service "+sub, fmt.Errorf("the service control manager: %w (run as an administrator)", err))
	}
	defer m.Disconnect()
	switch sub {
	case "install":
		return serviceInstall(env, m, o)
	case "uninstall":
		return serviceUninstall(env, m, o)
	}
	s, err := m.OpenService(o.name)
	if err != nil {
		return fail(env, "service "+sub, fmt.Errorf("service %s: %w (install it with 'service install')", o.name, err))
	}
	defer s.Close()
	switch sub {
	case "start":
		if err := s.Start(); err != nil {
			return fail(env, "service start", err)
		}
		st, err := waitState(ctx, s, svc.Running, 30*time.Second)
		if err != nil {
			return fail(env, "service start", err)
		}
		fmt.Fprintf(env.Stdout, "service %s: %s (process %d)\n", o.name, stateWords(st.State), st.ProcessId)
	case "stop":
		if _, err := s.Control(svc.Stop); err != nil {
			return fail(env, "service stop", err)
		}
		if _, err := waitState(ctx, s, svc.Stopped, 3*time.Minute); err != nil {
			return fail(env, "service stop", err)
		}
		fmt.Fprintf(env.Stdout, "service %s: stopped\n", o.name)
	case "status":
		st, err := s.Query()
		if err != nil {
			return fail(env, "service status", err)
		}
		cfg, err := baseConfig(s)
		if err != nil {
			return fail(env, "service status", err)
		}
		start := map[uint32]string{mgr.StartAutomatic: "automatic", mgr.StartManual: "manual", mgr.StartDisabled: "disabled"}[cfg.StartType]
		if full, err := s.Config(); err == nil && full.DelayedAutoStart && start == "automatic" {
			start = "automatic (delayed)"
		}
		fmt.Fprintf(env.Stdout, "service:  %s (%s)\nstate:    %s\nprocess:  %d\nstart:    %s\naccount:  %s\ncommand:  %s\n",
			o.name, cfg.DisplayName, stateWords(st.State), st.ProcessId, start, cmp.Or(cfg.ServiceStartName, "LocalSystem"), cfg.BinaryPathName)
		if dir := argAfter(cfg.BinaryPathName, "--secrets-dir"); dir != "" {
			fmt.Fprintf(env.Stdout, "secrets:  %s %s\n", dir, dirDACL(dir))
		}
		// 1077: ERROR_SERVICE_NEVER_STARTED, not a failure.
		if st.State == svc.Stopped && st.Win32ExitCode != 0 && st.Win32ExitCode != 1077 {
			fmt.Fprintf(env.Stdout, "last exit: %d (see the log in the data dir)\n", st.Win32ExitCode)
		}
	}
	return ExitOK
}

func serviceInstall(env *Env, m *mgr.Mgr, o serviceOptions) int {
	if s, err := m.OpenService(o.name); err == nil {
		s.Close()
		return fail(env, "service install", fmt.Errorf("service %s exists; 'service uninstall' first", o.name))
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(env, "service install", err)
	}
	if o.dataDir == "" {
		// LocalSystem's own profile is under System32: the machine-wide
		// ProgramData is where a service's data belongs.
		o.dataDir = filepath.Join(cmp.Or(os.Getenv("ProgramData"), `C:\ProgramData`), "ml-connector")
	}
	if abs, err := filepath.Abs(o.dataDir); err == nil {
		o.dataDir = abs
	}
	cfg := mgr.Config{DisplayName: "ml-connector (IFS Cloud - Cleo EDI)", StartType: mgr.StartAutomatic,
		Description:      "Runs the ml-connector flows on their schedules: purchase orders to Cleo, supplier invoices into IFS Cloud.",
		ServiceStartName: o.account, Password: o.password}
	if o.manual {
		cfg.StartType, cfg.DelayedAutoStart = mgr.StartManual, false
	}
	s, err := m.CreateService(o.name, exe, cfg, serviceArgs(o)...)
	if err != nil {
		return fail(env, "service install", err)
	}
	defer s.Close()
	if !o.manual {
		// Delayed: at boot the network and the database come first. Set
		// apart from CreateService, which deletes the service when this
		// fails (Wine does not know the setting).
		d := windows.SERVICE_DELAYED_AUTO_START_INFO{IsDelayedAutoStartUp: 1}
		if err := windows.ChangeServiceConfig2(s.Handle, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (*byte)(unsafe.Pointer(&d))); err != nil {
			fmt.Fprintf(env.Stderr, "service install: starts at boot without delay (delayed start not set: %v)\n", err)
		}
	}
	if o.secretsDir != "" {
		if sddl, err := protectSecretsDir(o.secretsDir, o.account); err != nil {
			fmt.Fprintf(env.Stderr, "service install: could not restrict %s to the service account and administrators: %v; restrict it by hand\n", o.secretsDir, err)
		} else {
			fmt.Fprintf(env.Stdout, "secrets folder %s readable only by %s\n", o.secretsDir, sddl)
		}
	}
	// Restart after a failure (a lost team database connection exits 1 on
	// purpose, to come back as a standby): after 1 minute, then 5.
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.ServiceRestart, Delay: 5 * time.Minute}}, 24*60*60); err != nil {
		fmt.Fprintf(env.Stderr, "service install: restart on failure not set: %v\n", err)
	}
	when := "it also starts by itself at boot"
	if o.manual {
		when = "it starts only when started (--manual)"
	}
	fmt.Fprintf(env.Stdout, "service %s installed: %s %v\nstart it with 'service start'; %s\n", o.name, exe, serviceArgs(o), when)
	return ExitOK
}

func serviceUninstall(env *Env, m *mgr.Mgr, o serviceOptions) int {
	s, err := m.OpenService(o.name)
	if err != nil {
		return fail(env, "service uninstall", fmt.Errorf("service %s: %w", o.name, err))
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if _, err := s.Control(svc.Stop); err == nil {
			waitState(context.Background(), s, svc.Stopped, 3*time.Minute)
		}
	}
	if err := s.Delete(); err != nil {
		return fail(env, "service uninstall", err)
	}
	fmt.Fprintf(env.Stdout, "service %s removed (its data dir is kept)\n", o.name)
	return ExitOK
}

// waitState polls until the service reaches want, or fails after limit.
func waitState(ctx context.Context, s *mgr.Service, want svc.State, limit time.Duration) (svc.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := s.Query()
		if err != nil {
			return st, err
		}
		if st.State == want {
			return st, nil
		}
		if st.State == svc.Stopped && want != svc.Stopped {
			return st, fmt.Errorf("the service stopped (exit %d; see the log in its data dir)", st.Win32ExitCode)
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("still %s after %v", stateWords(st.State), limit)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func stateWords(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	case svc.PausePending, svc.Paused, svc.ContinuePending:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}

// baseConfig is the service's QUERY_SERVICE_CONFIG alone. mgr's Config
// also asks for the description, delayed start and SID type
// (QueryServiceConfig2), which Wine does not answer; status needs none.
func baseConfig(s *mgr.Service) (mgr.Config, error) {
	n := uint32(1024)
	for {
		b := make([]byte, n)
		p := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&b[0]))
		err := windows.QueryServiceConfig(s.Handle, p, n, &n)
		if err == nil {
			return mgr.Config{ServiceType: p.ServiceType, StartType: p.StartType, BinaryPathName: windows.UTF16PtrToString(p.BinaryPathName),
				ServiceStartName: windows.UTF16PtrToString(p.ServiceStartName), DisplayName: windows.UTF16PtrToString(p.DisplayName)}, nil
		}
		if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || n <= uint32(len(b)) {
			return mgr.Config{}, err
		}
	}
}

// protectSecretsDir gives the secrets folder a protected DACL (no inherited
// entries): full control for LocalSystem, the Administrators group and the
// service account, nobody else; its files inherit it. It returns who may
// read it, in words.
func protectSecretsDir(dir, account string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	who := "LocalSystem and Administrators"
	sddl := "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	if account != "" {
		sid, _, _, err := windows.LookupSID("", account)
		if err != nil {
			return "", fmt.Errorf("account %s: %w", account, err)
		}
		sddl += "(A;OICI;FA;;;" + sid.String() + ")"
		who += " and " + account
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return "", err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return "", err
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return "", err
	}
	return who, nil
}

// argAfter is the argument after flag in a Windows command line, "" when
// the flag is not there.
func argAfter(cmdline, flag string) string {
	args, err := windows.DecomposeCommandLine(cmdline)
	if err != nil {
		return ""
	}
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	return ""
}

// dirDACL is the folder's access list in SDDL, for the admin to check.
func dirDACL(dir string) string {
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "(access list unreadable: " + err.Error() + ")"
	}
	return sd.String()
}
