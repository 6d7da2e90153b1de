package connector

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestOpen(t *testing.T) {
	folder := t.TempDir()
	ifsOK := map[string]string{SettingIFSURL: "http://127.0.0.1:1", SettingIFSClientID: "c", SettingIFSCompany: "10", SettingIFSRealm: "r"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range ifsOK {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	allSecrets := map[string]string{SecretIFSClient: "s", SecretCleoPassword: "p"}
	tests := []struct {
		name     string
		set      map[string]string
		secrets  map[string]string
		missing  []string // keys the MissingError names; nil: no MissingError
		errLike  string   // substring of another error
		wantType any      // transport built
	}{
		{name: "nothing", set: map[string]string{}, secrets: allSecrets,
			missing: []string{SettingIFSURL, SettingIFSClientID, SettingIFSCompany, SettingIFSRealm + " or " + SettingIFSTokenURL, SettingCleoURL, SettingCleoUser}},
		{name: "rest without user", set: with(map[string]string{SettingCleoURL: "http://127.0.0.1:1"}), secrets: allSecrets,
			missing: []string{SettingCleoUser}},
		{name: "rest without password", set: with(map[string]string{SettingCleoURL: "http://127.0.0.1:1", SettingCleoUser: "u"}),
			secrets: map[string]string{SecretIFSClient: "s"}, missing: []string{SecretCleoPassword}},
		{name: "no IFS secret", set: with(map[string]string{SettingCleoURL: "http://127.0.0.1:1", SettingCleoUser: "u"}),
			secrets: map[string]string{SecretCleoPassword: "p"}, missing: []string{SecretIFSClient}},
		{name: "rest", set: with(map[string]string{SettingCleoURL: "http://127.0.0.1:1", SettingCleoUser: "u"}), secrets: allSecrets,
			wantType: &cleo.REST{}},
		{name: "sftp without host", set: with(map[string]string{SettingCleoTransport: "sftp", SettingCleoUser: "u"}), secrets: allSecrets,
			missing: []string{SettingCleoHost, SettingCleoHostKey + " or " + SettingCleoKnownHost}},
		{name: "sftp without host key", set: with(map[string]string{SettingCleoTransport: "sftp", SettingCleoHost: "127.0.0.1:22", SettingCleoUser: "u"}),
			secrets: allSecrets, missing: []string{SettingCleoHostKey + " or " + SettingCleoKnownHost}},
		{name: "sftp without password or key", set: with(map[string]string{SettingCleoTransport: "sftp", SettingCleoHost: "127.0.0.1:22",
			SettingCleoUser: "u", SettingCleoHostKey: "SHA256:abc"}), secrets: map[string]string{SecretIFSClient: "s"},
			missing: []string{SecretCleoPassword + " or " + SecretCleoKey}},
		{name: "sftp", set: with(map[string]string{SettingCleoTransport: "sftp", SettingCleoHost: "127.0.0.1:22",
			SettingCleoUser: "u", SettingCleoHostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", SettingCleoPartners: "ACME=ZZ:ACME01"}),
			secrets: allSecrets, wantType: &cleo.SFTP{}},
		{name: "folder without root", set: with(map[string]string{SettingCleoTransport: "folder"}), secrets: allSecrets,
			missing: []string{SettingCleoRoot}},
		{name: "folder bad partners", set: with(map[string]string{SettingCleoTransport: "folder", SettingCleoRoot: folder, SettingCleoPartners: "ACME=ACME01"}),
			secrets: allSecrets, errLike: SettingCleoPartners},
		{name: "folder missing dir", set: with(map[string]string{SettingCleoTransport: "folder", SettingCleoRoot: filepath.Join(folder, "nope")}),
			secrets: allSecrets, errLike: "not reachable"},
		{name: "folder", set: with(map[string]string{SettingCleoTransport: "folder", SettingCleoRoot: folder, SettingCleoPartners: "ACME=ZZ:ACME01, BETA"}),
			secrets: map[string]string{SecretIFSClient: "s"}, wantType: &cleo.Folder{}},
		{name: "unknown transport", set: with(map[string]string{SettingCleoTransport: "ftp"}), secrets: allSecrets, errLike: "unknown Cleo transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			for k, v := range tt.set {
				if err := st.SetSetting(ctx, "test", k, v); err != nil {
					t.Fatal(err)
				}
			}
			sec := secrets.NewMemory()
			for k, v := range tt.secrets {
				sec.Set(ctx, k, v)
			}
			c, err := Open(ctx, Options{Store: st, Secrets: sec})
			switch {
			case tt.missing != nil:
				var me *MissingError
				if !errors.As(err, &me) || !errors.Is(err, ErrNotConfigured) {
					t.Fatalf("err = %v, want a MissingError", err)
				}
				if !reflect.DeepEqual(me.Keys, tt.missing) {
					t.Fatalf("missing %q, want %q", me.Keys, tt.missing)
				}
			case tt.errLike != "":
				if err == nil || !strings.Contains(err.Error(), tt.errLike) || errors.Is(err, ErrNotConfigured) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errLike)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if reflect.TypeOf(c.Cleo) != reflect.TypeOf(tt.wantType) {
					t.Fatalf("transport %T, want %T", c.Cleo, tt.wantType)
				}
				if c.Engine == nil || c.IFS == nil {
					t.Fatal("no engine or IFS client")
				}
			}
		})
	}
}

func TestFolderPartners(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for k, v := range map[string]string{SettingCleoTransport: "folder", SettingCleoRoot: t.TempDir(),
		SettingCleoPartners: "ACME=ZZ:ACME01\nBETA=01:123456789@S1002", SettingOurID: "OURCO"} {
		st.SetSetting(ctx, "test", k, v)
	}
	set, _ := Options{Store: st}.Settings(ctx)
	tr, err := BuildCleo(ctx, Options{Store: st}, set)
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := tr.Partners(ctx)
	if len(ps) != 2 || ps[1].ISAQualifier != "01" || ps[1].ISAID != "123456789" || ps[1].ExternalID != "S1002" || ps[0].ExternalID != "" || ps[0].OurID != "OURCO" || ps[0].OurQualifier != "ZZ" || !ps[0].Enabled {
		t.Fatalf("partners %+v", ps)
	}
}

// The IFS connection is tested without any Cleo setting, and the reverse.
func TestSeparateTests(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	o := Options{Store: st, Secrets: secrets.NewMemory()}
	rep := TestIFS(ctx, o)
	if rep.OK() || len(rep.Steps) != 1 || !strings.Contains(rep.Steps[0].Detail, SettingIFSURL) {
		t.Fatalf("IFS report with nothing set: %+v", rep)
	}
	st.SetSetting(ctx, "test", SettingCleoTransport, "folder")
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "inbox"), 0o700)
	st.SetSetting(ctx, "test", SettingCleoRoot, root)
	st.SetSetting(ctx, "test", SettingCleoPartners, "ACME=ZZ:ACME01")
	rep = TestCleo(ctx, o)
	if !rep.OK() {
		t.Fatalf("Cleo folder test without IFS settings: %+v", rep)
	}
	rep = TestIFS(ctx, o)
	if rep.OK() || rep.Target != "IFS Cloud" {
		t.Fatalf("IFS still unset: %+v", rep)
	}
}
