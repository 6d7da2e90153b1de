package connections_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
)

// certSource is the fake whose tests see a server certificate, as the IFS
// client and the Cleo REST transport report it.
type certSource struct {
	*uifake.Connections
	cert domain.CertInfo
}

func (c *certSource) Test(ctx context.Context, target string, st connections.Settings, typed map[string]string) (domain.TestReport, error) {
	rep, err := c.Connections.Test(ctx, target, st, typed)
	if err == nil && rep.OK() {
		rep.Cert = c.cert
		rep.Steps = append(rep.Steps, domain.CertStep(c.cert, uifake.Epoch, domain.CertWarnWithin))
	}
	return rep, err
}

// A tenant certificate ten days from expiry: the test passes, and the
// warning shows in place with the date and the fix, in the report and
// beside the secret's own expiry.
func TestCertificateExpiryWarning(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	until := uifake.Epoch.Add(10 * 24 * time.Hour)
	src := &certSource{Connections: uifake.NewConnections(), cert: domain.CertInfo{Host: "tenant.ifs.cloud", Subject: "CN=tenant.ifs.cloud", NotAfter: until}}
	s, run, w := newScreen(t, src)
	before := test.RenderToMarkup(w.Canvas())
	if strings.Contains(before, "TLS certificate") {
		t.Fatal("a certificate warning before any test saw a certificate")
	}
	s.Fill(settings, map[string]string{connections.SecretIFSClient: "s3cret"})
	s.Test(connections.IFS)
	run.Drain()
	if e := s.Error(); e != "" {
		t.Fatal(e)
	}
	date := until.UTC().Format("2006-01-02")
	r := s.Report(connections.IFS)
	for _, want := range []string{
		"TLS certificate for tenant.ifs.cloud valid until " + date + " (10 days)",
		"Fix: Renew the certificate or ask the tenant admin before " + date + ".",
		"IFS Cloud: all steps passed, with a warning above",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
	m := test.RenderToMarkup(w.Canvas())
	// The label wraps, so its text is checked in pieces.
	for _, want := range []string{
		`color="warning"`, "TLS certificate for tenant.ifs.cloud expires in 10 d (on " + date + "): renew the certificate",
		"tenant admin before " + date + ".",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("in-place warning lacks %q", want)
		}
	}
	uitest.AssertImage(t, "cert_warning.png", w.Canvas().Capture())

	// A fresh screen shows it from Secrets, where the source remembers
	// what the last test saw.
	_, _, w2 := newScreen(t, src)
	if m := test.RenderToMarkup(w2.Canvas()); !strings.Contains(m, "TLS certificate for tenant.ifs.cloud expires in 10 d") {
		t.Error("no warning after a reload")
	}
}

func (c *certSource) Secrets(ctx context.Context) (map[string]connections.SecretState, error) {
	out, err := c.Connections.Secrets(ctx)
	if err == nil && len(c.Tests) > 0 {
		out[connections.CertIFS] = connections.SecretState{Set: true, Expires: c.cert.NotAfter, Host: c.cert.Host}
	}
	return out, err
}
