package connector

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/secrets"
)

// A tenant that names its supplier-invoice entity set differently works
// once the admin points the resource-profile setting at a profile file, with
// no rebuild; without the profile the connection test says which set failed.
func TestResourceProfileSettingReachesTheClient(t *testing.T) {
	ctx := context.Background()
	names := ifssim.DefaultNames()
	names.InvoiceSet = "ManualSupplierInvoiceSet"
	sim := ifssim.New(world.New(1), ifssim.Config{Names: names})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	st := openStore(t)
	sec := secrets.NewMemory()
	sec.Set(ctx, SecretIFSClient, ifssim.DefaultClientSecret)
	for k, v := range map[string]string{SettingIFSURL: srv.URL, SettingIFSRealm: sim.Realm(),
		SettingIFSClientID: ifssim.DefaultClientID, SettingIFSCompany: "MLC01"} {
		if err := st.SetSetting(ctx, "admin", k, v); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{Store: st, Secrets: sec}

	rep := TestIFS(ctx, o)
	if rep.OK() || !strings.Contains(reportText(rep), "ManSuppInvoiceSet") {
		t.Fatalf("without a profile the test should fail on the default set name:\n%s", reportText(rep))
	}

	prof := filepath.Join(t.TempDir(), "tenant.json")
	os.WriteFile(prof, []byte(`{"name":"tenant","supplier_invoices":{"entity_set":"ManualSupplierInvoiceSet"}}`), 0o600)
	st.SetSetting(ctx, "admin", SettingIFSProfile, prof)
	if rep = TestIFS(ctx, o); !rep.OK() {
		t.Fatalf("with the tenant's profile:\n%s", reportText(rep))
	}

	st.SetSetting(ctx, "admin", SettingIFSProfile, filepath.Join(t.TempDir(), "missing.json"))
	if rep = TestIFS(ctx, o); rep.OK() || !strings.Contains(reportText(rep), SettingIFSProfile) {
		t.Fatalf("a missing profile file should name the setting:\n%s", reportText(rep))
	}
	st.SetSetting(ctx, "admin", SettingIFSProfile, "")
	st.SetSetting(ctx, "admin", SettingIFSCAFile, filepath.Join(t.TempDir(), "missing-ca.pem"))
	if rep = TestIFS(ctx, o); rep.OK() || !strings.Contains(reportText(rep), "missing-ca.pem") {
		t.Fatalf("a missing CA bundle should be reported:\n%s", reportText(rep))
	}
}

func reportText(r domain.TestReport) string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s ok=%v: %s (%s)\n", s.Name, s.OK, s.Detail, s.Fix)
	}
	return b.String()
}
