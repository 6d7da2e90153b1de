package serve

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func TestLoopbackAddr(t *testing.T) {
	for in, want := range map[string]string{"": "127.0.0.1:0", ":0": "127.0.0.1:0", "localhost:8080": "127.0.0.1:8080",
		"127.0.0.1:1": "127.0.0.1:1", "[::1]:0": "[::1]:0"} {
		if got, err := LoopbackAddr(in); err != nil || got != want {
			t.Errorf("%q → %s %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"192.168.1.1:0", "0.0.0.0:80", "example.com:1"} {
		if _, err := LoopbackAddr(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// A pair serves both sandboxes on loopback and configures a store the
// way connect would: the settings through connector.Settings, the secrets
// in the secret store, the connector then builds.
func TestPairConfigures(t *testing.T) {
	ctx := context.Background()
	p, err := StartPair(1, ifssim.Config{}, cleosim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, u := range []string{p.IFSURL + "/_sandbox/stats", p.CleoURL + "/_sandbox/stats"} {
		resp, err := http.Get(u)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", u, err, resp)
		}
		resp.Body.Close()
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sec := secrets.NewMemory()
	if err := p.Configure(ctx, st, sec); err != nil {
		t.Fatal(err)
	}
	c, err := connector.Open(ctx, connector.Options{Store: st, Secrets: sec})
	if err != nil {
		t.Fatalf("connector from the configured pair: %v", err)
	}
	c.Close()
}
