// Package connections is the admin screen for the IFS Cloud and Cleo
// connections: plain settings, secrets that go straight to the keychain (off
// the UI goroutine, never echoed back), expiry warnings, and "Test connection"
// showing each step's result and the fix in plain language.
package connections

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// Targets of Test.
const (
	IFS  = "ifs"
	Cleo = "cleo"
)

// Secret names SetSecret accepts.
const (
	SecretIFSClient    = "ifs.client_secret"
	SecretCleoPassword = "cleo.password"
	SecretCleoKey      = "cleo.private_key"
)

// Keys of the Secrets map that describe the servers' TLS certificates as the
// last connection test saw them (Set when one was seen, Host naming the
// server). They are not secrets, but expire the same way.
const (
	CertIFS  = "ifs.tls_certificate"
	CertCleo = "cleo.tls_certificate"
)

// Cleo transport kinds, the values of CleoSettings.Transport.
const (
	TransportREST   = "rest"
	TransportSFTP   = "sftp"
	TransportFolder = "folder"
)

// Cleo transports offered.
var Transports = []string{TransportREST, TransportSFTP, TransportFolder}

// IFSSettings are the non-secret IFS Cloud connection settings.
type IFSSettings struct {
	URL, Realm, ClientID, Company, ResourceProfile string
}

// CleoSettings are the non-secret Cleo connection settings.
type CleoSettings struct {
	Transport          string // one of Transports
	URL                string // REST base URL
	Host               string // SFTP host:port
	User               string // REST or SFTP user
	HostKeyFingerprint string // SFTP: "SHA256:…"
	KnownHostsFile     string // SFTP: known_hosts pinning the key, instead of the fingerprint
	// Root is the mailbox folder: on the SFTP server, or the local (or
	// mounted) folder of the folder transport.
	Root string
	// PerPartner: the mailbox has one subfolder per partner alias.
	PerPartner bool
	// Partners of a file mailbox, "ALIAS=QUAL:ID[@IFS supplier]" per line
	// (a file system has no partner list of its own).
	Partners string
}

// Settings are both connections' settings.
type Settings struct {
	IFS  IFSSettings
	Cleo CleoSettings
}

// SecretState says whether a secret is stored, and until when it is valid.
type SecretState struct {
	Set     bool
	Expires time.Time // zero when unknown
	Host    string    // for a certificate: the server it belongs to
}

// Source is what the screen needs from the engine. Every method runs off the UI goroutine.
type Source interface {
	Load(ctx context.Context) (Settings, error)
	Save(ctx context.Context, s Settings) error
	// SetSecret stores a secret in the keychain (or the demo's memory store).
	SetSecret(ctx context.Context, name, value string) error
	Secrets(ctx context.Context) (map[string]SecretState, error)
	// SecretStore names where secrets go: "OS keychain", "in memory (demo)".
	SecretStore() string
	// Test checks one connection with the given settings and typed
	// secrets (over the stored ones) and saves nothing: a wrong secret never
	// replaces a working one.
	Test(ctx context.Context, target string, s Settings, secrets map[string]string) (domain.TestReport, error)
	// Apply starts using what was saved after a passing test; in use reports
	// whether the engine now runs on it (false: the other connection is not
	// ready yet).
	Apply(ctx context.Context, target string) (inUse bool, err error)
}

// Params are the screen's collaborators besides its Source.
type Params struct {
	Runner *uikit.Runner
	Now    func() time.Time
	// OnTested is called on the UI goroutine after a test, with its verdict
	// (a passing test may have started the engine).
	OnTested func(ok bool)
	// Database, when set, adds the card that chooses this desk's own file
	// or a team database.
	Database DatabaseSource
}

// Screen is the connections screen.
type Screen struct {
	widget.BaseWidget
	ctx     context.Context
	load    *uikit.Loader
	src     Source
	p       Params
	content fyne.CanvasObject

	errLbl                                              *uikit.ErrorLabel
	savedLbl                                            *widget.Label
	ifsURL, ifsRealm, ifsClient, ifsCompany, ifsProfile *widget.Entry
	ifsSecret                                           *widget.Entry
	transport                                           *widget.Select
	cleoURL, cleoHost, cleoUser, cleoFP                 *widget.Entry
	cleoKnownHosts, cleoRoot, cleoPartners              *widget.Entry
	cleoPerPartner                                      *widget.Check
	cleoPassword, cleoKey                               *widget.Entry
	ifsExpiry, cleoExpiry                               *widget.Label
	ifsCert, cleoCert                                   *widget.Label
	ifsReport, cleoReport                               *fyne.Container
	testIFS, testCleo, saveBtn                          *widget.Button
	db                                                  *databaseCard
}

// New builds the screen; call Reload to fill it.
func New(ctx context.Context, src Source, p Params) *Screen {
	if p.Runner == nil {
		p.Runner = uikit.NewRunner()
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	s := &Screen{ctx: ctx, src: src, p: p}
	s.load = uikit.NewLoader(ctx, p.Runner)
	s.ExtendBaseWidget(s)
	if src == nil {
		s.content = uikit.NoEngine("Connection settings")
		return s
	}
	s.build()
	return s
}

// CreateRenderer implements fyne.Widget.
func (s *Screen) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(s.content) }

func entry(ph string) *widget.Entry {
	e := widget.NewEntry()
	e.SetPlaceHolder(ph)
	return e
}

func (s *Screen) build() {
	s.errLbl = uikit.NewErrorLabel()
	s.savedLbl = widget.NewLabel("")
	s.savedLbl.Importance = widget.SuccessImportance
	s.savedLbl.Hide()

	s.ifsURL = entry("https://customer.ifs.cloud")
	s.ifsRealm = entry("realm (namespace)")
	s.ifsClient = entry("client id")
	s.ifsSecret = widget.NewPasswordEntry()
	s.ifsCompany = entry("company, e.g. 10")
	s.ifsProfile = entry("resource profile")
	s.ifsExpiry = widget.NewLabel("")
	s.ifsExpiry.Wrapping = fyne.TextWrapWord
	s.ifsCert = certLabel()
	s.ifsReport = container.NewVBox()
	s.testIFS = widget.NewButtonWithIcon("Test IFS connection (saved when it passes)", theme.MediaPlayIcon(), func() { s.Test(IFS) })
	ifsForm := widget.NewForm(
		widget.NewFormItem("URL", s.ifsURL),
		widget.NewFormItem("Realm", s.ifsRealm),
		widget.NewFormItem("Client id", s.ifsClient),
		widget.NewFormItem("Client secret", s.ifsSecret),
		widget.NewFormItem("Company", s.ifsCompany),
		widget.NewFormItem("Resource profile", s.ifsProfile),
	)

	s.transport = widget.NewSelect(Transports, func(string) { s.transportChanged() })
	s.cleoURL = entry("https://api.cleo.com")
	s.cleoHost = entry("sftp host:port")
	s.cleoUser = entry("user")
	s.cleoPassword = widget.NewPasswordEntry()
	s.cleoKey = widget.NewMultiLineEntry()
	s.cleoKey.SetPlaceHolder("private key (PEM), instead of a password")
	s.cleoKey.SetMinRowsVisible(2)
	s.cleoKey.Password = true
	s.cleoFP = entry("SHA256:… host-key fingerprint")
	s.cleoKnownHosts = entry("or a known_hosts file")
	s.cleoRoot = entry("mailbox folder (SFTP path or local folder)")
	s.cleoPerPartner = widget.NewCheck("One subfolder per partner", nil)
	s.cleoPartners = widget.NewMultiLineEntry()
	s.cleoPartners.SetPlaceHolder("ACME=ZZ:ACME01@S1001, one partner per line")
	s.cleoPartners.SetMinRowsVisible(2)
	s.cleoExpiry = widget.NewLabel("")
	s.cleoExpiry.Wrapping = fyne.TextWrapWord
	s.cleoCert = certLabel()
	s.cleoReport = container.NewVBox()
	s.testCleo = widget.NewButtonWithIcon("Test Cleo connection (saved when it passes)", theme.MediaPlayIcon(), func() { s.Test(Cleo) })
	cleoForm := widget.NewForm(
		widget.NewFormItem("Transport", s.transport),
		widget.NewFormItem("URL", s.cleoURL),
		widget.NewFormItem("Host", s.cleoHost),
		widget.NewFormItem("User", s.cleoUser),
		widget.NewFormItem("Password", s.cleoPassword),
		widget.NewFormItem("Private key", s.cleoKey),
		widget.NewFormItem("Host-key fingerprint", s.cleoFP),
		widget.NewFormItem("Known hosts", s.cleoKnownHosts),
		widget.NewFormItem("Mailbox folder", s.cleoRoot),
		widget.NewFormItem("", s.cleoPerPartner),
		widget.NewFormItem("Partners", s.cleoPartners),
	)

	s.saveBtn = widget.NewButtonWithIcon("Save anyway (untested)", theme.DocumentSaveIcon(), func() { s.Save(nil) })
	s.saveBtn.Importance = widget.MediumImportance // testing is the way to save; this one is the exception
	store := widget.NewLabel("Secrets are stored in: " + s.src.SecretStore() + ". They are never shown again, written to the database or logged.")
	store.Wrapping = fyne.TextWrapWord
	if strings.Contains(strings.ToLower(s.src.SecretStore()), "demo") {
		store.Importance = widget.WarningImportance
	}
	ifs := widget.NewCard("IFS Cloud", "OAuth2 client credentials", container.NewVBox(ifsForm, s.ifsExpiry, s.ifsCert, s.testIFS, s.ifsReport))
	cleo := widget.NewCard("Cleo Integration Cloud", "EDI network", container.NewVBox(cleoForm, s.cleoExpiry, s.cleoCert, s.testCleo, s.cleoReport))
	body := container.NewVBox(container.NewGridWithColumns(2, ifs, cleo))
	if s.p.Database != nil {
		// Below the connections, whose field positions the admin's Xvfb
		// journey test clicks; a client desk of a team database needs
		// none of the fields above it.
		s.db = newDatabaseCard(s, s.p.Database)
		body.Add(s.db.card)
	}
	s.content = container.NewBorder(
		container.NewVBox(store, s.errLbl),
		container.NewBorder(nil, nil, s.saveBtn, nil, s.savedLbl), nil, nil,
		container.NewVScroll(body),
	)
}

// transportChanged enables the fields the chosen transport reads.
func (s *Screen) transportChanged() {
	t := s.transport.Selected
	rest, sftp, file := t == TransportREST || t == "", t == TransportSFTP, t == TransportSFTP || t == TransportFolder
	for _, f := range []struct {
		w  fyne.Disableable
		on bool
	}{
		{s.cleoURL, rest}, {s.cleoUser, rest || sftp}, {s.cleoPassword, rest || sftp},
		{s.cleoHost, sftp}, {s.cleoFP, sftp}, {s.cleoKey, sftp}, {s.cleoKnownHosts, sftp},
		{s.cleoRoot, file}, {s.cleoPerPartner, file}, {s.cleoPartners, file},
	} {
		if f.on {
			f.w.Enable()
		} else {
			f.w.Disable()
		}
	}
}

// Reload fetches the settings and secret states.
func (s *Screen) Reload() {
	if s.src == nil {
		return
	}
	if s.db != nil {
		s.db.reload()
	}
	type loaded struct {
		st  Settings
		sec map[string]SecretState
	}
	uikit.Load(s.load, func(ctx context.Context) (loaded, error) {
		var l loaded
		var err error
		if l.st, err = s.src.Load(ctx); err == nil {
			l.sec, err = s.src.Secrets(ctx)
		}
		return l, err
	}, func(l loaded, err error) {
		if err != nil {
			s.errLbl.SetError("load the connection settings", err)
			return
		}
		s.errLbl.SetError("", nil)
		s.show(l.st)
		s.showSecrets(l.sec)
	})
}

func (s *Screen) show(st Settings) {
	s.ifsURL.SetText(st.IFS.URL)
	s.ifsRealm.SetText(st.IFS.Realm)
	s.ifsClient.SetText(st.IFS.ClientID)
	s.ifsCompany.SetText(st.IFS.Company)
	s.ifsProfile.SetText(st.IFS.ResourceProfile)
	t := st.Cleo.Transport
	if t == "" {
		t = Transports[0]
	}
	s.transport.SetSelected(t)
	s.cleoURL.SetText(st.Cleo.URL)
	s.cleoHost.SetText(st.Cleo.Host)
	s.cleoUser.SetText(st.Cleo.User)
	s.cleoFP.SetText(st.Cleo.HostKeyFingerprint)
	s.cleoKnownHosts.SetText(st.Cleo.KnownHostsFile)
	s.cleoRoot.SetText(st.Cleo.Root)
	s.cleoPerPartner.SetChecked(st.Cleo.PerPartner)
	s.cleoPartners.SetText(st.Cleo.Partners)
}

func (s *Screen) showSecrets(sec map[string]SecretState) {
	ph := func(e *widget.Entry, st SecretState) {
		if st.Set {
			e.SetPlaceHolder("stored, type to replace")
		} else {
			e.SetPlaceHolder("not set")
		}
	}
	ph(s.ifsSecret, sec[SecretIFSClient])
	ph(s.cleoPassword, sec[SecretCleoPassword])
	ph(s.cleoKey, sec[SecretCleoKey])
	expiry(s.ifsExpiry, s.p.Now(), "IFS client secret", sec[SecretIFSClient])
	expiry(s.cleoExpiry, s.p.Now(), "Cleo password", sec[SecretCleoPassword])
	certExpiry(s.ifsCert, s.p.Now(), sec[CertIFS])
	certExpiry(s.cleoCert, s.p.Now(), sec[CertCleo])
}

// certLabel is a certificate warning, hidden (taking no room) until a test
// has seen a certificate.
func certLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// certExpiry shows a server certificate's validity with the same thresholds
// as the secrets; the fix names who can renew it and by when.
func certExpiry(l *widget.Label, now time.Time, st SecretState) {
	if !st.Set || st.Expires.IsZero() {
		l.SetText("")
		l.Hide()
		return
	}
	date := st.Expires.UTC().Format("2006-01-02")
	what := "TLS certificate for " + st.Host
	l.Importance = widget.MediumImportance
	switch left := st.Expires.Sub(now); {
	case left <= 0:
		l.SetText(fmt.Sprintf("%s expired on %s: renew the certificate or ask the tenant admin; connections fail until then.", what, date))
		l.Importance = widget.DangerImportance
	case left <= domain.CertWarnWithin:
		l.SetText(fmt.Sprintf("%s expires in %s (on %s): renew the certificate or ask the tenant admin before %s.", what, uikit.Duration(left), date, date))
		l.Importance = widget.WarningImportance
		if left <= 7*24*time.Hour {
			l.Importance = widget.DangerImportance
		}
	default:
		l.SetText(fmt.Sprintf("%s valid until %s.", what, date))
	}
	l.Show()
	l.Refresh()
}

// expiry warns 30 days ahead, loudly from 7 days.
func expiry(l *widget.Label, now time.Time, what string, st SecretState) {
	l.Importance = widget.MediumImportance
	switch {
	case !st.Set:
		l.SetText(what + " is not set.")
		l.Importance = widget.WarningImportance
	case st.Expires.IsZero():
		l.SetText("")
	case !st.Expires.After(now):
		l.SetText(fmt.Sprintf("%s expired on %s: renew it, or syncing stops.", what, st.Expires.Format("2006-01-02")))
		l.Importance = widget.DangerImportance
	case st.Expires.Sub(now) <= 30*24*time.Hour:
		l.SetText(fmt.Sprintf("%s expires in %s (on %s): renew it before then.", what, uikit.Duration(st.Expires.Sub(now)), st.Expires.Format("2006-01-02")))
		l.Importance = widget.WarningImportance
		if st.Expires.Sub(now) <= 7*24*time.Hour {
			l.Importance = widget.DangerImportance
		}
	default:
		l.SetText(fmt.Sprintf("%s valid until %s.", what, st.Expires.Format("2006-01-02")))
	}
	l.Refresh()
}

func (s *Screen) settings() Settings {
	tr := func(e *widget.Entry) string { return strings.TrimSpace(e.Text) }
	return Settings{
		IFS: IFSSettings{URL: tr(s.ifsURL), Realm: tr(s.ifsRealm), ClientID: tr(s.ifsClient), Company: tr(s.ifsCompany), ResourceProfile: tr(s.ifsProfile)},
		Cleo: CleoSettings{Transport: s.transport.Selected, URL: tr(s.cleoURL), Host: tr(s.cleoHost), User: tr(s.cleoUser),
			HostKeyFingerprint: tr(s.cleoFP), KnownHostsFile: tr(s.cleoKnownHosts), Root: tr(s.cleoRoot),
			PerPartner: s.cleoPerPartner.Checked, Partners: strings.TrimSpace(s.cleoPartners.Text)},
	}
}

// typedSecrets are the secrets typed into the form (empty fields keep the
// stored ones).
func (s *Screen) typedSecrets() map[string]string {
	out := map[string]string{}
	for name, e := range map[string]*widget.Entry{SecretIFSClient: s.ifsSecret, SecretCleoPassword: s.cleoPassword, SecretCleoKey: s.cleoKey} {
		if e.Text != "" {
			out[name] = e.Text
		}
	}
	return out
}

// persist saves the settings and the typed secrets (off the UI goroutine).
func (s *Screen) persist(st Settings, typed map[string]string) error {
	if err := s.src.Save(s.ctx, st); err != nil {
		return err
	}
	for name, v := range typed {
		if err := s.src.SetSecret(s.ctx, name, v); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
	}
	return nil
}

// saved clears the typed secrets and says what happened, in the colour of
// its outcome.
func (s *Screen) saved(msg string, imp widget.Importance, sec map[string]SecretState) {
	s.errLbl.SetError("", nil)
	if sec != nil {
		s.ifsSecret.SetText("")
		s.cleoPassword.SetText("")
		s.cleoKey.SetText("")
		s.showSecrets(sec)
	}
	s.savedLbl.SetText(msg)
	s.savedLbl.Importance = imp
	s.savedLbl.Show()
	s.savedLbl.Refresh()
}

// Save stores the settings and any typed secret without testing them
// ("Save anyway"), then calls then (on the UI goroutine) if it succeeded.
func (s *Screen) Save(then func()) {
	st := s.settings()
	typed := s.typedSecrets()
	s.saveBtn.Disable()
	s.p.Runner.Go(func() {
		err := s.persist(st, typed)
		var sec map[string]SecretState
		if err == nil {
			sec, err = s.src.Secrets(s.ctx)
		}
		fyne.Do(func() {
			s.saveBtn.Enable()
			if err != nil {
				s.errLbl.SetError("save the connections", err)
				s.savedLbl.Hide()
				return
			}
			s.saved("Saved, not tested: it is used from the next restart or passing test.", widget.WarningImportance, sec)
			if then != nil {
				then()
			}
		})
	})
}

// Test checks one connection with what is typed, saving nothing first.
// Only a passing test saves the settings and secrets and puts them in use;
// a failing one leaves the configuration in use untouched and says so
// (the admin may still Save anyway).
func (s *Screen) Test(target string) {
	box, btn, cert := s.ifsReport, s.testIFS, s.ifsCert
	if target == Cleo {
		box, btn, cert = s.cleoReport, s.testCleo, s.cleoCert
	}
	st, typed := s.settings(), s.typedSecrets()
	btn.Disable()
	box.Objects = []fyne.CanvasObject{widget.NewLabel("Testing…")}
	box.Refresh()
	s.p.Runner.Go(func() {
		rep, err := s.src.Test(s.ctx, target, st, typed)
		passed := err == nil && rep.OK()
		var inUse bool
		var saveErr error
		var sec map[string]SecretState
		if passed {
			if saveErr = s.persist(st, typed); saveErr == nil {
				inUse, saveErr = s.src.Apply(s.ctx, target)
			}
			if saveErr == nil {
				sec, saveErr = s.src.Secrets(s.ctx)
			}
		}
		fyne.Do(func() {
			btn.Enable()
			showReport(box, rep, err)
			if err == nil {
				certExpiry(cert, s.p.Now(), SecretState{Set: !rep.Cert.IsZero(), Expires: rep.Cert.NotAfter, Host: rep.Cert.Host})
			}
			switch {
			case saveErr != nil:
				s.errLbl.SetError("save the connections", saveErr)
				s.savedLbl.Hide()
			case passed && inUse:
				s.saved(fmt.Sprintf("Tested and saved; in use since %s.", s.p.Now().Format("15:04")), widget.SuccessImportance, sec)
			case passed:
				s.saved("Tested and saved; in use once the other connection passes its test too.", widget.SuccessImportance, sec)
			default:
				s.saved("Not saved: the test failed, so the configuration in use is unchanged. Correct it and test again, or Save anyway.",
					widget.WarningImportance, nil)
			}
			if s.p.OnTested != nil {
				s.p.OnTested(passed && saveErr == nil)
			}
			s.content.Refresh() // the report changed the scroll content's size
		})
	})
}

// Saved is the outcome line shown after a save or a test, for tests.
func (s *Screen) Saved() string {
	if s.savedLbl == nil || !s.savedLbl.Visible() {
		return ""
	}
	return s.savedLbl.Text
}

func showReport(box *fyne.Container, rep domain.TestReport, err error) {
	box.Objects = nil
	if err != nil {
		l := uikit.NewErrorLabel()
		l.SetError("run the test", err)
		box.Add(l)
		box.Refresh()
		return
	}
	warned := false
	for _, st := range rep.Steps {
		warned = warned || (st.OK && st.Warning)
		icon := theme.ConfirmIcon()
		imp := widget.SuccessImportance
		switch {
		case st.Skipped:
			icon, imp = theme.MediaSkipNextIcon(), widget.LowImportance
		case !st.OK:
			icon, imp = theme.ErrorIcon(), widget.DangerImportance
		case st.Warning:
			icon, imp = theme.WarningIcon(), widget.WarningImportance
		}
		name := widget.NewLabel(st.Name)
		name.Importance = imp
		name.TextStyle.Bold = true
		detail := widget.NewLabel(st.Detail)
		detail.Wrapping = fyne.TextWrapWord
		box.Add(container.NewBorder(nil, nil, widget.NewIcon(icon), nil, name))
		if st.Detail != "" {
			box.Add(detail)
		}
		if (!st.OK || st.Warning) && !st.Skipped && st.Fix != "" {
			fix := widget.NewLabel("Fix: " + st.Fix)
			fix.Wrapping = fyne.TextWrapWord
			fix.Importance = widget.WarningImportance
			box.Add(fix)
		}
	}
	sum := widget.NewLabelWithStyle(rep.Target+": all steps passed", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sum.Importance = widget.SuccessImportance
	if !rep.OK() {
		sum.SetText(rep.Target + ": failed, see the fix above")
		sum.Importance = widget.DangerImportance
	} else if warned {
		sum.SetText(rep.Target + ": all steps passed, with a warning above")
		sum.Importance = widget.WarningImportance
	}
	box.Add(sum)
	box.Refresh()
}

// Fill types settings and secrets into the form, as an admin would (for tests and journeys).
func (s *Screen) Fill(st Settings, secrets map[string]string) {
	s.show(st)
	s.ifsSecret.SetText(secrets[SecretIFSClient])
	s.cleoPassword.SetText(secrets[SecretCleoPassword])
	s.cleoKey.SetText(secrets[SecretCleoKey])
}

// Report returns the text of a target's last test report, for tests.
func (s *Screen) Report(target string) string {
	box := s.ifsReport
	if target == Cleo {
		box = s.cleoReport
	}
	var b strings.Builder
	for _, o := range box.Objects {
		collect(&b, o)
	}
	return b.String()
}

func collect(b *strings.Builder, o fyne.CanvasObject) {
	switch v := o.(type) {
	case *widget.Label:
		b.WriteString(v.Text + "\n")
	case *uikit.ErrorLabel:
		b.WriteString(v.Text + "\n")
	case *fyne.Container:
		for _, c := range v.Objects {
			collect(b, c)
		}
	}
}

// Error is the error shown in place, "" when none.
func (s *Screen) Error() string {
	if s.errLbl == nil || !s.errLbl.Visible() {
		return ""
	}
	return s.errLbl.Text
}
