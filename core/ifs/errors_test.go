package ifs_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
)

func TestErrorsClassified(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		header   map[string]string
		kind     domain.ErrorKind
		code     string
		contains []string
	}{
		{401, `{"error":{"code":"UNAUTHORIZED","message":"expired"}}`, nil, domain.KindAuth, "UNAUTHORIZED", nil},
		{403, `{"error":{"code":"FORBIDDEN","message":"not granted"}}`, nil, domain.KindForbidden, "FORBIDDEN",
			[]string{"needs a grant for projection PurchaseOrderHandling"}},
		{404, `{"error":{"code":"OBJECT_NOT_FOUND","message":"no such"}}`, nil, domain.KindNotFound, "OBJECT_NOT_FOUND", nil},
		{412, `{"error":{"code":"ETAG_MISMATCH","message":"changed"}}`, nil, domain.KindConflict, "ETAG_MISMATCH", nil},
		{429, `{"error":{"code":"TOO_MANY_REQUESTS","message":"slow down"}}`, map[string]string{"Retry-After": "7"}, domain.KindRateLimited, "", nil},
		{400, `{"error":{"code":"DATABASE_ERROR","message":"ORA-20112: ManSuppInvoice.DUPLINVNO: dup","details":[{"code":"DATABASE_ERROR","message":"Invoice number exists"}]}}`,
			nil, domain.KindBusinessRule, "DATABASE_ERROR", []string{"ORA-20112", "Invoice number exists"}},
		{400, `{"error":{"code":"ODP_NOT_IMPLEMENTED","message":"expand"}}`, nil, domain.KindInvalid, "ODP_NOT_IMPLEMENTED", nil},
		{503, ``, nil, domain.KindTransient, "", []string{"503"}},
		{502, "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", nil, domain.KindTransient, "",
			[]string{"502 Bad Gateway", "not an OData answer"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.code), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			c, _, _ := f.client(func(c *ifs.Config) { c.Retry.MaxAttempts = 1 })
			_, err := c.PurchaseOrder(t.Context(), "P1")
			var e *ifs.Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v is not *ifs.Error", err)
			}
			if domain.KindOf(err) != tt.kind || e.Status != tt.status || e.Code != tt.code && tt.code != "" {
				t.Errorf("kind %v status %d code %q", domain.KindOf(err), e.Status, e.Code)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
			if tt.status == 429 && e.RetryAfter() != 7*time.Second {
				t.Errorf("RetryAfter %v", e.RetryAfter())
			}
			if e.Fix() == "" {
				t.Error("no fix text")
			}
		})
	}
}
