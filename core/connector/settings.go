package connector

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/store"
)

// Settings is the whole connection configuration (no secrets): what the
// command line's connect, the Connections screen and the demo read and
// write. Load it, change what you own, Save it: Save writes every field,
// so nothing another editor set is lost and nothing is keyed by hand.
type Settings struct {
	IFS  IFSSettings
	Cleo CleoSettings
	// OurQualifier and OurID are our X12 identity (ISA05/06 outbound).
	OurQualifier string
	OurID        string
}

// IFSSettings is the IFS Cloud connection.
type IFSSettings struct {
	URL      string // https://tenant.ifs.cloud
	TokenURL string // optional: derived from URL and Realm when empty
	Realm    string
	ClientID string
	Company  string
	Profile  string // resource profile file (absolute path), "" for the embedded default
	CAFile   string // PEM bundle of a private CA, "" for the system roots
}

// CleoSettings is the Cleo connection: REST, an SFTP mailbox or a folder.
type CleoSettings struct {
	Transport  string // TransportREST (default when empty), TransportSFTP or TransportFolder
	URL        string // REST base URL
	User       string // REST and SFTP user
	Host       string // SFTP host:port
	HostKey    string // SFTP host key fingerprint (SHA256:…)
	KnownHosts string // SFTP known_hosts file
	Root       string // mailbox folder on the SFTP server or on disk
	PerPartner bool   // one subfolder per partner
	Partners   string // file mailboxes' partners: "ALIAS=QUAL:ID@SUPPLIER, …"
	CAFile     string // PEM bundle for the REST API's private CA
}

// fields lists every setting key with the field that holds it, so Load
// and Save can never drift apart.
func (s *Settings) fields() []struct {
	key string
	ptr *string
} {
	return []struct {
		key string
		ptr *string
	}{
		{SettingIFSURL, &s.IFS.URL}, {SettingIFSTokenURL, &s.IFS.TokenURL}, {SettingIFSRealm, &s.IFS.Realm},
		{SettingIFSClientID, &s.IFS.ClientID}, {SettingIFSCompany, &s.IFS.Company}, {SettingIFSProfile, &s.IFS.Profile},
		{SettingIFSCAFile, &s.IFS.CAFile},
		{SettingCleoTransport, &s.Cleo.Transport}, {SettingCleoURL, &s.Cleo.URL}, {SettingCleoUser, &s.Cleo.User},
		{SettingCleoHost, &s.Cleo.Host}, {SettingCleoHostKey, &s.Cleo.HostKey}, {SettingCleoKnownHost, &s.Cleo.KnownHosts},
		{SettingCleoRoot, &s.Cleo.Root}, {SettingCleoPartners, &s.Cleo.Partners}, {SettingCleoCAFile, &s.Cleo.CAFile},
		{SettingOurQual, &s.OurQualifier}, {SettingOurID, &s.OurID},
	}
}

// Map is the settings as stored key → value.
func (s Settings) Map() map[string]string {
	m := map[string]string{SettingCleoPerPartner: strconv.FormatBool(s.Cleo.PerPartner)}
	for _, f := range s.fields() {
		m[f.key] = strings.TrimSpace(*f.ptr)
	}
	return m
}

// SettingsFrom reads settings from a stored key → value map.
func SettingsFrom(m map[string]string) Settings {
	var s Settings
	for _, f := range s.fields() {
		*f.ptr = m[f.key]
	}
	s.Cleo.PerPartner = m[SettingCleoPerPartner] == "true"
	return s
}

// Validate checks what can be checked without connecting: a known
// transport and a readable partner list.
func (s Settings) Validate() error {
	switch s.Cleo.Transport {
	case "", TransportREST, TransportSFTP, TransportFolder:
	default:
		return fmt.Errorf("the Cleo transport %q: want rest, sftp or folder", s.Cleo.Transport)
	}
	if _, err := ParsePartners(s.Cleo.Partners, "", ""); err != nil {
		return fmt.Errorf("partners: %w", err)
	}
	return nil
}

// LoadSettings reads the stored connection settings.
func LoadSettings(ctx context.Context, st *store.Store) (Settings, error) {
	m, err := st.Settings(ctx)
	if err != nil {
		return Settings{}, fmt.Errorf("load connection settings: %w", err)
	}
	return SettingsFrom(m), nil
}

// Save validates s and writes every field, audited as actor, in one
// transaction (an unchanged value writes no new version).
func (s Settings) Save(ctx context.Context, st *store.Store, actor string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	// On a team database the connections are the whole team's: only an
	// admin changes them, whatever a desk's screens show (a desk's own
	// file has one person, who holds every role). The program's own
	// wiring (the sandboxes' settings) acts as store.SystemActor.
	if st.Backend() == "postgres" && actor != store.SystemActor {
		role, err := st.RoleOf(ctx, actor)
		if err != nil {
			return fmt.Errorf("save connection settings: %w", err)
		}
		if role != store.RoleAdmin {
			if _, err := st.AppendEvent(ctx, store.Event{Subject: "settings:connections", Actor: actor, Action: "settings.refused",
				Detail: map[string]any{"role": role, "why": "only an admin may change the team's connections"}}); err != nil {
				return fmt.Errorf("audit the refused change of the connections: %w", err)
			}
			return fmt.Errorf("save connection settings: %s is a %s on this team database: only an admin may change the connections: %w",
				actor, role, store.ErrForbidden)
		}
	}
	m := s.Map()
	old, err := st.Settings(ctx)
	if err != nil {
		return fmt.Errorf("save connection settings: %w", err)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		for _, f := range append(s.fields(), struct {
			key string
			ptr *string
		}{SettingCleoPerPartner, nil}) {
			if _, had := old[f.key]; !had && (m[f.key] == "" || m[f.key] == "false") {
				continue // never set and still empty: no row, no audit noise
			}
			if err := tx.SetSetting(actor, f.key, m[f.key]); err != nil {
				return fmt.Errorf("save %s: %w", f.key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save connection settings: %w", err)
	}
	return nil
}
