package httpx_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/httpx"
)

const secret = "s3cr3t-VALUE"

func TestLogNeverLeaksSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		io.WriteString(w, `{"access_token":"`+secret+`","error":{"code":"UNAUTHORIZED","message":"token expired, Bearer `+secret+`"}}`)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := &http.Client{Transport: httpx.Chain(http.DefaultTransport, httpx.Log(logger, httpx.LogOptions{BodyExcerpt: 4096}))}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"ml"}, "client_secret": {secret}}
	req, _ := http.NewRequest("POST", srv.URL+"/token?access_token="+secret+"&x=1", strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), secret) {
		t.Errorf("caller lost the body: %q", body)
	}
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("log leaks a secret:\n%s", out)
	}
	for _, want := range []string{"status=401", "UNAUTHORIZED", "x=1", "method=POST"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:" + secret + "@h.example/p?client_secret=" + secret + "&Token=" + secret + "&$filter=a")
	if got := httpx.RedactURL(u); strings.Contains(got, secret) || !strings.Contains(got, "filter=a") {
		t.Errorf("RedactURL = %q", got)
	}
	h := http.Header{"Authorization": {"Bearer " + secret}, "X-Api-Key": {secret}, "Cookie": {secret}, "Accept": {"application/json"}}
	rh := httpx.RedactHeader(h)
	for k, v := range rh {
		if strings.Contains(strings.Join(v, ""), secret) {
			t.Errorf("header %s leaks", k)
		}
	}
	if rh.Get("Accept") != "application/json" {
		t.Error("harmless header lost")
	}
	for _, in := range []string{
		`{"access_token": "` + secret + `", "expires_in": 180}`,
		`{"refresh_token":"` + secret + `"}`,
		`{"id_token":"a\"` + secret + `"}`,
		`grant_type=client_credentials&client_secret=` + secret + `&client_id=x`,
		`password=` + secret,
		`Authorization: Bearer ` + secret,
	} {
		if got := httpx.RedactText(in); strings.Contains(got, secret) {
			t.Errorf("RedactText(%q) = %q", in, got)
		}
	}
	if got := httpx.RedactText(`{"expires_in":180,"client_id":"ml"}`); !strings.Contains(got, `"ml"`) {
		t.Errorf("over-redacted: %q", got)
	}
	for name, want := range map[string]bool{"client_secret": true, "Authorization": true, "X-Api-Key": true, "client_id": false, "$filter": false} {
		if httpx.Sensitive(name) != want {
			t.Errorf("Sensitive(%q) != %v", name, want)
		}
	}
}
