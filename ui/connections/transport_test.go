package connections_test

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
)

// The file transports' fields reach the source on save, and a secret key
// goes to SetSecret, never into the settings.
func TestFileTransportFieldsSaved(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewConnections()
	s, run, _ := newScreen(t, src)
	for _, want := range []connections.CleoSettings{
		{Transport: connections.TransportSFTP, Host: "127.0.0.1:2222", User: "mlc", HostKeyFingerprint: "SHA256:abc",
			KnownHostsFile: "/etc/ssh/known", Root: "/mailbox", PerPartner: true, Partners: "ACME=ZZ:ACME01@S1001"},
		{Transport: connections.TransportFolder, Root: "/srv/edi", Partners: "ACME=ZZ:ACME01\nBETA=01:123456789"},
	} {
		st := settings
		st.Cleo = want
		s.Fill(st, map[string]string{connections.SecretCleoKey: "-----BEGIN OPENSSH PRIVATE KEY-----"})
		s.Save(nil)
		run.Drain()
		if e := s.Error(); e != "" {
			t.Fatal(e)
		}
		if src.Settings.Cleo != want {
			t.Fatalf("saved %+v, want %+v", src.Settings.Cleo, want)
		}
		if src.Stored[connections.SecretCleoKey] == "" {
			t.Fatal("private key not stored as a secret")
		}
	}
}
