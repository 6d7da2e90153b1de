// Package connector builds the IFS client, the Cleo transport and the engine
// from the stored connection settings and the secret store. It is the one
// place that knows which setting means what, so the headless CLI and the
// desktop app (ui/bridge) build exactly the same engine.
//
// Each connection can be built and tested on its own (BuildIFS/TestIFS,
// BuildCleo/TestCleo), so an admin can check IFS before Cleo is filled in.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Settings keys of the connections (never secrets: those are in the secret
// store). The strings are what existing databases hold: never change them.
const (
	SettingIFSURL      = "ifs.url"
	SettingIFSTokenURL = "ifs.token_url"
	SettingIFSRealm    = "ifs.realm"
	SettingIFSClientID = "ifs.client_id"
	SettingIFSCompany  = "ifs.company"
	SettingIFSProfile  = "ifs.resource_profile"
	// SettingIFSCAFile and SettingCleoCAFile name PEM CA bundles trusted
	// besides the system roots, for tenants with private certificates.
	// Verification itself can never be switched off.
	SettingIFSCAFile  = "ifs.ca_file"
	SettingCleoCAFile = "cleo.ca_file"

	// SettingCleoTransport is rest (default when empty), sftp or folder.
	SettingCleoTransport = "cleo.transport"
	SettingCleoURL       = "cleo.url"      // REST base URL
	SettingCleoUser      = "cleo.username" // REST and SFTP user
	SettingCleoHost      = "cleo.host"     // SFTP host:port
	SettingCleoHostKey   = "cleo.host_key_fingerprint"
	SettingCleoKnownHost = "cleo.known_hosts"
	// SettingCleoRoot is the mailbox folder: on the SFTP server, or the local
	// folder of the folder transport.
	SettingCleoRoot = "cleo.root"
	// SettingCleoPerPartner is "true" when the mailbox has one subfolder per
	// partner alias.
	SettingCleoPerPartner = "cleo.per_partner"
	// SettingCleoPartners lists a file mailbox's partners, which a file system
	// cannot tell: "ALIAS=QUAL:ID[@SUPPLIER]" entries separated by commas or
	// new lines (see ParsePartners).
	SettingCleoPartners = "cleo.partners"

	SettingOurQual  = "edi.our_qualifier"
	SettingOurID    = "edi.our_id"
	SettingSend997  = "engine.send_997"
	SecretIFSClient = "ifs.client_secret"
	// SecretCleoPassword is the REST password or the SFTP password.
	SecretCleoPassword = "cleo.password"
	// SecretCleoKey is the SFTP private key (PEM).
	SecretCleoKey = "cleo.private_key"
	// SecretCleoKeyPassphrase unlocks an encrypted SecretCleoKey.
	SecretCleoKeyPassphrase = "cleo.private_key_passphrase"
)

// Cleo transport kinds.
const (
	TransportREST   = "rest"
	TransportSFTP   = "sftp"
	TransportFolder = "folder"
)

// ErrNotConfigured is matched (errors.Is) by every MissingError.
var ErrNotConfigured = errors.New("the connections are not configured")

// MissingError says which settings or secrets a connection still needs.
type MissingError struct {
	Connection string   // "IFS" or "Cleo"
	Keys       []string // setting or secret keys, e.g. "ifs.url"
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("the %s connection is not configured (missing %s)", e.Connection, strings.Join(e.Keys, ", "))
}

// Is makes errors.Is(err, ErrNotConfigured) true.
func (e *MissingError) Is(target error) bool { return target == ErrNotConfigured }

// Options are what the builders read from and hand to the engine.
type Options struct {
	Store   *store.Store
	Secrets secrets.Store
	Logger  *slog.Logger // nil: discarded
	Bus     *events.Bus  // nil: events discarded
	// SecretTimeout bounds every secret read (a keychain may prompt or hang);
	// default 15 s.
	SecretTimeout time.Duration
	// Now is the clock of the file transports' half-written-file check; nil: time.Now.
	Now func() time.Time
	// Override replaces stored settings (key → value) for this build only:
	// a connection test of what the admin typed, before anything is saved.
	Override map[string]string
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// secret reads one secret; a missing one is "" when optional.
func (o Options) secret(ctx context.Context, key string, optional bool) (string, error) {
	if o.Secrets == nil {
		if optional {
			return "", nil
		}
		return "", fmt.Errorf("secret %s: no secret store", key)
	}
	d := o.SecretTimeout
	if d <= 0 {
		d = 15 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := o.Secrets.Get(sctx, key)
	if err != nil {
		if optional && errors.Is(err, secrets.ErrNotFound) {
			return "", nil
		}
		return "", fmt.Errorf("secret %s: %w", key, err)
	}
	return v, nil
}

// Settings reads the stored settings.
func (o Options) Settings(ctx context.Context) (map[string]string, error) {
	if o.Store == nil {
		return nil, errors.New("connector: no store")
	}
	set, err := o.Store.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	for k, v := range o.Override {
		set[k] = v
	}
	return set, nil
}

func missing(conn string, set map[string]string, keys ...string) error {
	var m []string
	for _, k := range keys {
		if strings.TrimSpace(set[k]) == "" {
			m = append(m, k)
		}
	}
	if len(m) > 0 {
		return &MissingError{Connection: conn, Keys: m}
	}
	return nil
}

// BuildIFS builds the IFS client from set (as Options.Settings returns it).
func BuildIFS(ctx context.Context, o Options, set map[string]string) (*ifs.Client, error) {
	if err := missingIFS(set); err != nil {
		return nil, err
	}
	sec, err := o.secret(ctx, SecretIFSClient, false)
	if err != nil {
		if errors.Is(err, secrets.ErrNotFound) {
			return nil, &MissingError{Connection: "IFS", Keys: []string{SecretIFSClient}}
		}
		return nil, fmt.Errorf("IFS client secret: %w", err)
	}
	cfg := ifs.Config{BaseURL: set[SettingIFSURL], TokenURL: set[SettingIFSTokenURL], Realm: set[SettingIFSRealm],
		ClientID: set[SettingIFSClientID], ClientSecret: sec, Company: set[SettingIFSCompany], Logger: o.logger(),
		TLS: httpx.TLSOptions{CAFile: strings.TrimSpace(set[SettingIFSCAFile])}}
	// The resource profile adapts projection, entity-set and field names to
	// the tenant; the embedded default applies when none is set.
	if path := strings.TrimSpace(set[SettingIFSProfile]); path != "" {
		prof, err := ifs.LoadProfile(path)
		if err != nil {
			return nil, fmt.Errorf("IFS resource profile %s (setting %s): %w", path, SettingIFSProfile, err)
		}
		cfg.Profile = prof
	}
	c, err := ifs.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("IFS connection: %w", err)
	}
	return c, nil
}

// ParsePartners reads SettingCleoPartners: "ALIAS=QUAL:ID" entries separated
// by commas or new lines; ALIAS alone is allowed for a per-partner mailbox.
// "ALIAS=QUAL:ID@SUPPLIER" also names the partner's IFS supplier (the
// external id the REST API would carry), so it needs no manual mapping.
// Our own qualifier and id fill every partner's receiver id.
func ParsePartners(s, ourQual, ourID string) ([]domain.Partner, error) {
	var out []domain.Partner
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		alias, isa, _ := strings.Cut(f, "=")
		alias = strings.TrimSpace(alias)
		if alias == "" {
			return nil, fmt.Errorf("partner %q: no alias (want ALIAS=QUAL:ID)", f)
		}
		p := domain.Partner{ID: alias, Alias: alias, OurQualifier: ourQual, OurID: ourID, Enabled: true, Transport: "mailbox"}
		if i := strings.LastIndexByte(isa, '@'); i >= 0 {
			isa, p.ExternalID = isa[:i], strings.TrimSpace(isa[i+1:])
		}
		if isa = strings.TrimSpace(isa); isa != "" {
			q, id, ok := strings.Cut(isa, ":")
			if !ok || strings.TrimSpace(q) == "" || strings.TrimSpace(id) == "" {
				return nil, fmt.Errorf("partner %q: the ISA id must be QUAL:ID, e.g. ZZ:ACME01", f)
			}
			p.ISAQualifier, p.ISAID = strings.TrimSpace(q), strings.TrimSpace(id)
		}
		out = append(out, p)
	}
	return out, nil
}

// BuildCleo builds the Cleo transport named by SettingCleoTransport.
func BuildCleo(ctx context.Context, o Options, set map[string]string) (cleo.Transport, error) {
	kind := set[SettingCleoTransport]
	if kind == "" {
		kind = TransportREST
	}
	layout := func() (cleo.Layout, error) {
		ps, err := ParsePartners(set[SettingCleoPartners], firstSet(set[SettingOurQual], "ZZ"), set[SettingOurID])
		if err != nil {
			return cleo.Layout{}, fmt.Errorf("%s: %w", SettingCleoPartners, err)
		}
		return cleo.Layout{PerPartner: set[SettingCleoPerPartner] == "true", Partners: ps}, nil
	}
	switch kind {
	case TransportREST:
		if err := missing("Cleo", set, SettingCleoURL, SettingCleoUser); err != nil {
			return nil, err
		}
		pass, err := o.secret(ctx, SecretCleoPassword, false)
		if err != nil {
			if errors.Is(err, secrets.ErrNotFound) {
				return nil, &MissingError{Connection: "Cleo", Keys: []string{SecretCleoPassword}}
			}
			return nil, fmt.Errorf("password of the Cleo connection: %w", err)
		}
		c, err := cleo.NewREST(cleo.RESTConfig{BaseURL: set[SettingCleoURL], Username: set[SettingCleoUser], Password: pass,
			TLS: httpx.TLSOptions{CAFile: strings.TrimSpace(set[SettingCleoCAFile])}})
		if err != nil {
			return nil, fmt.Errorf("the Cleo connection: %w", err)
		}
		return c, nil
	case TransportSFTP:
		if err := missing("Cleo", set, SettingCleoHost, SettingCleoUser); err != nil {
			return nil, err
		}
		if set[SettingCleoHostKey] == "" && set[SettingCleoKnownHost] == "" {
			return nil, &MissingError{Connection: "Cleo", Keys: []string{SettingCleoHostKey + " or " + SettingCleoKnownHost}}
		}
		pass, err := o.secret(ctx, SecretCleoPassword, true)
		if err != nil {
			return nil, fmt.Errorf("password of the Cleo SFTP mailbox: %w", err)
		}
		key, err := o.secret(ctx, SecretCleoKey, true)
		if err != nil {
			return nil, fmt.Errorf("private key of the Cleo SFTP mailbox: %w", err)
		}
		if pass == "" && key == "" {
			return nil, &MissingError{Connection: "Cleo", Keys: []string{SecretCleoPassword + " or " + SecretCleoKey}}
		}
		phrase, err := o.secret(ctx, SecretCleoKeyPassphrase, true)
		if err != nil {
			return nil, fmt.Errorf("key passphrase of the Cleo SFTP mailbox: %w", err)
		}
		l, err := layout()
		if err != nil {
			return nil, err
		}
		cfg := cleo.SFTPConfig{Addr: set[SettingCleoHost], Username: set[SettingCleoUser], Password: pass, Passphrase: phrase,
			KnownHostsFile: set[SettingCleoKnownHost], HostKeyFingerprint: set[SettingCleoHostKey], Root: set[SettingCleoRoot],
			Layout: l, Now: o.Now}
		if key != "" {
			cfg.PrivateKeyPEM = []byte(key)
		}
		c, err := cleo.NewSFTP(cfg)
		if err != nil {
			return nil, fmt.Errorf("the Cleo SFTP mailbox: %w", err)
		}
		return c, nil
	case TransportFolder:
		// The desktop screen used to take the folder in the URL field.
		root := firstSet(set[SettingCleoRoot], set[SettingCleoURL])
		if root == "" {
			return nil, &MissingError{Connection: "Cleo", Keys: []string{SettingCleoRoot}}
		}
		l, err := layout()
		if err != nil {
			return nil, err
		}
		c, err := cleo.NewFolder(cleo.FolderConfig{Root: root, Layout: l, Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("the Cleo folder mailbox: %w", err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("%s: unknown Cleo transport %q (want rest, sftp or folder)", SettingCleoTransport, kind)
}

// failedReport is a test report whose only step is the build error.
func failedReport(target string, err error) domain.TestReport {
	fix := "Fill in the missing settings, save and test again."
	var me *MissingError
	if !errors.As(err, &me) {
		fix = "Check the settings and the secret store."
	}
	return domain.TestReport{Target: target, Steps: []domain.TestStep{{Name: "Read the settings", Detail: err.Error(), Fix: fix}}}
}

// TestIFS builds the IFS client alone and checks it step by step; a build
// failure (a missing setting) is the report's failed first step.
func TestIFS(ctx context.Context, o Options) domain.TestReport {
	set, err := o.Settings(ctx)
	if err != nil {
		return failedReport("IFS Cloud", err)
	}
	c, err := BuildIFS(ctx, o, set)
	if err != nil {
		return failedReport("IFS Cloud", err)
	}
	return (&engine.IFSClient{C: c, Company: set[SettingIFSCompany]}).TestConnection(ctx)
}

// TestCleo builds the Cleo transport alone and checks it step by step.
func TestCleo(ctx context.Context, o Options) domain.TestReport {
	set, err := o.Settings(ctx)
	if err != nil {
		return failedReport("Cleo", err)
	}
	c, err := BuildCleo(ctx, o, set)
	if err != nil {
		return failedReport("Cleo", err)
	}
	defer c.Close()
	return c.TestConnection(ctx)
}

// Connector is an engine built from the settings, with its connections.
type Connector struct {
	Engine *engine.Engine
	IFS    *ifs.Client
	Cleo   cleo.Transport
}

// Close releases the Cleo transport (the SFTP connection).
func (c *Connector) Close() error {
	if c == nil || c.Cleo == nil {
		return nil
	}
	return c.Cleo.Close()
}

// Check reports the plain settings (not secrets) both connections still
// miss, as one *MissingError; nil when none.
func Check(set map[string]string) error {
	var keys []string
	for _, e := range []error{missingIFS(set), missingCleo(set)} {
		var me *MissingError
		if errors.As(e, &me) {
			keys = append(keys, me.Keys...)
		}
	}
	if len(keys) > 0 {
		return &MissingError{Connection: "IFS and Cleo", Keys: keys}
	}
	return nil
}

// Open builds both connections and the engine. A *MissingError (matching
// ErrNotConfigured) names the settings still to fill in.
func Open(ctx context.Context, o Options) (*Connector, error) {
	set, err := o.Settings(ctx)
	if err != nil {
		return nil, err
	}
	// Report every missing key of both connections at once.
	if err := Check(set); err != nil {
		return nil, err
	}
	ic, err := BuildIFS(ctx, o, set)
	if err != nil {
		return nil, err
	}
	cc, err := BuildCleo(ctx, o, set)
	if err != nil {
		return nil, err
	}
	send997 := set[SettingSend997] != "false"
	ourQual, ourID := set[SettingOurQual], set[SettingOurID]
	if ourID == "" {
		// Partners carry the receiver id they expect from us.
		if ps, err := o.Store.Partners(ctx); err == nil {
			for _, p := range ps {
				if p.OurID != "" {
					ourQual, ourID = p.OurQualifier, p.OurID
					break
				}
			}
		}
	}
	eng, err := engine.New(engine.Params{Store: o.Store, IFS: &engine.IFSClient{C: ic, Company: set[SettingIFSCompany]},
		Cleo: engine.CleoTransport{T: cc}, EDI: engine.X12Codec{}, Bus: o.Bus, Logger: o.logger(), Company: set[SettingIFSCompany],
		Us: engine.Identity{Qualifier: firstSet(ourQual, "ZZ"), ID: ourID}, Send997: &send997})
	if err != nil {
		cc.Close()
		return nil, err
	}
	return &Connector{Engine: eng, IFS: ic, Cleo: cc}, nil
}

func missingIFS(set map[string]string) error {
	err := missing("IFS", set, SettingIFSURL, SettingIFSClientID, SettingIFSCompany)
	if set[SettingIFSRealm] == "" && set[SettingIFSTokenURL] == "" {
		var me *MissingError
		if !errors.As(err, &me) {
			me = &MissingError{Connection: "IFS"}
		}
		me.Keys = append(me.Keys, SettingIFSRealm+" or "+SettingIFSTokenURL)
		return me
	}
	return err
}

// missingCleo checks the plain settings of the chosen transport (secrets
// are checked when building).
func missingCleo(set map[string]string) error {
	switch set[SettingCleoTransport] {
	case "", TransportREST:
		return missing("Cleo", set, SettingCleoURL, SettingCleoUser)
	case TransportSFTP:
		err := missing("Cleo", set, SettingCleoHost, SettingCleoUser)
		if set[SettingCleoHostKey] == "" && set[SettingCleoKnownHost] == "" {
			var me *MissingError
			if !errors.As(err, &me) {
				me = &MissingError{Connection: "Cleo"}
			}
			me.Keys = append(me.Keys, SettingCleoHostKey+" or "+SettingCleoKnownHost)
			return me
		}
		return err
	case TransportFolder:
		if firstSet(set[SettingCleoRoot], set[SettingCleoURL]) == "" {
			return &MissingError{Connection: "Cleo", Keys: []string{SettingCleoRoot}}
		}
	}
	return nil
}

func firstSet(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
