package httpx

import (
	"net/http"
	"sync"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// PeerCerts records the TLS leaf certificate of every host a client reached,
// so a connection test can warn before a tenant's certificate expires. Wrap
// the whole pipeline with it: the response it sees is the one the caller
// gets, after retries.
type PeerCerts struct {
	Next  http.RoundTripper
	mu    sync.Mutex
	certs map[string]domain.CertInfo
}

// RoundTrip implements http.RoundTripper.
func (p *PeerCerts) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.Next.RoundTrip(req)
	if err == nil && resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		leaf := resp.TLS.PeerCertificates[0]
		p.mu.Lock()
		if p.certs == nil {
			p.certs = map[string]domain.CertInfo{}
		}
		p.certs[req.URL.Hostname()] = domain.CertInfo{Host: req.URL.Hostname(), Subject: leaf.Subject.String(), NotAfter: leaf.NotAfter.UTC()}
		p.mu.Unlock()
	}
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (p *PeerCerts) CloseIdleConnections() {
	if c, ok := p.Next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Soonest returns the certificate seen that expires first (a token host and
// an API host may differ); zero when none was seen.
func (p *PeerCerts) Soonest() domain.CertInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out domain.CertInfo
	for _, c := range p.certs {
		if out.IsZero() || c.NotAfter.Before(out.NotAfter) {
			out = c
		}
	}
	return out
}
