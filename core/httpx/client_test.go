package httpx_test

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/httpx"
)

func TestTLSVerificationAlwaysOn(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     httpx.TLSOptions
		wantErr bool
	}{
		{"system roots reject a private CA", httpx.TLSOptions{}, true},
		{"CA bundle bytes", httpx.TLSOptions{CAPEM: caPEM}, false},
		{"CA bundle file", httpx.TLSOptions{CAFile: caFile}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c httpx.Counters
			client, _, err := httpx.New(httpx.Options{TLS: tt.tls, Observer: &c})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Get(srv.URL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if resp != nil {
				resp.Body.Close()
			}
			if tt.wantErr && c.Snapshot().Requests != 1 {
				t.Errorf("certificate failure retried: %d attempts", c.Snapshot().Requests)
			}
		})
	}
}

func TestTLSConfig(t *testing.T) {
	for _, o := range []httpx.TLSOptions{{}, {CAPEM: []byte("junk")}, {CAFile: "/nonexistent/ca.pem"}} {
		cfg, err := o.TLSConfig()
		if o.CAFile == "" && len(o.CAPEM) == 0 {
			if err != nil || cfg.InsecureSkipVerify {
				t.Errorf("default config: %v %+v", err, cfg)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v: want an error for an unusable bundle", o)
		}
	}
}
