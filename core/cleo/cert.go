package cleo

import (
	"net/http"
	"sync"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// peerCerts records the TLS leaf certificate of every host the client
// reached, so TestConnection can warn before the server certificate
// expires. It wraps the whole pipeline: the response it sees is the one
// the caller gets, after retries.
type peerCerts struct {
	next  http.RoundTripper
	mu    sync.Mutex
	certs map[string]domain.CertInfo
}

// RoundTrip implements http.RoundTripper.
func (p *peerCerts) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
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
func (p *peerCerts) CloseIdleConnections() {
	if c, ok := p.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// soonest returns the certificate seen that expires first (the token host
// and the API host may differ); zero when none was seen.
func (p *peerCerts) soonest() domain.CertInfo {
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
