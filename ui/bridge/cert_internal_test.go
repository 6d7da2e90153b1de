package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/ui/connections"
)

// The certificate a connection test saw reaches the screen's expiry warning
// through Secrets, under the target's key, until a test shows there is none.
func TestCertificateReachesSecrets(t *testing.T) {
	ctx := context.Background()
	b := New(Config{Secrets: secrets.NewMemory()})
	src := &connectionSource{b}
	until := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	ok := domain.TestReport{Target: "IFS Cloud", Steps: []domain.TestStep{{Name: "Get token", OK: true}}}
	withCert := ok
	withCert.Cert = domain.CertInfo{Host: "tenant.ifs.cloud", NotAfter: until}
	failed := domain.TestReport{Target: "IFS Cloud", Steps: []domain.TestStep{{Name: "Get token"}}}

	for _, tc := range []struct {
		name string
		rep  domain.TestReport
		want connections.SecretState
	}{
		{"before any test", domain.TestReport{}, connections.SecretState{}},
		{"seen", withCert, connections.SecretState{Set: true, Expires: until, Host: "tenant.ifs.cloud"}},
		{"kept after a failure before TLS", failed, connections.SecretState{Set: true, Expires: until, Host: "tenant.ifs.cloud"}},
		{"forgotten after a passing test without TLS", ok, connections.SecretState{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.rep.Steps) > 0 {
				b.noteCert(connections.IFS, tc.rep)
			}
			sec, err := src.Secrets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := sec[connections.CertIFS]; got != tc.want {
				t.Errorf("IFS certificate %+v, want %+v", got, tc.want)
			}
			if got, ok := sec[connections.CertCleo]; ok {
				t.Errorf("Cleo certificate %+v without a Cleo test", got)
			}
			if _, ok := sec[connections.SecretIFSClient]; !ok {
				t.Error("the secrets' own states are missing")
			}
		})
	}
}
