package uifake

import (
	"context"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/ui/connections"
)

// Connections is an in-memory connections.Source. Test passes only when the
// stored secret equals GoodSecret, as a real token endpoint would decide.
type Connections struct {
	mu         sync.Mutex
	Settings   connections.Settings
	Stored     map[string]string // what SetSecret received
	Expiry     map[string]time.Time
	GoodSecret string
	SaveErr    error
	Tests      []string
	Applied    int
}

// NewConnections returns an empty configuration.
func NewConnections() *Connections {
	return &Connections{Stored: map[string]string{}, Expiry: map[string]time.Time{}, GoodSecret: "s3cret"}
}

// Load implements connections.Source.
func (c *Connections) Load(context.Context) (connections.Settings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Settings, nil
}

// Save implements connections.Source.
func (c *Connections) Save(_ context.Context, s connections.Settings) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.SaveErr != nil {
		return c.SaveErr
	}
	c.Settings = s
	return nil
}

// SetSecret implements connections.Source.
func (c *Connections) SetSecret(_ context.Context, name, v string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Stored[name] = v
	return nil
}

// Secrets implements connections.Source.
func (c *Connections) Secrets(context.Context) (map[string]connections.SecretState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]connections.SecretState{}
	for _, n := range []string{connections.SecretIFSClient, connections.SecretCleoPassword, connections.SecretCleoKey} {
		out[n] = connections.SecretState{Set: c.Stored[n] != "", Expires: c.Expiry[n]}
	}
	return out, nil
}

// SecretStore implements connections.Source.
func (c *Connections) SecretStore() string { return "test memory store" }

// Apply implements connections.Source: in use when both stored secrets are good.
func (c *Connections) Apply(context.Context, string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Applied++
	return c.Stored[connections.SecretIFSClient] == c.GoodSecret && c.Stored[connections.SecretCleoPassword] == c.GoodSecret, nil
}

// Test implements connections.Source: the candidate settings and typed
// secrets over the stored ones; nothing is saved.
func (c *Connections) Test(_ context.Context, target string, cand connections.Settings, typed map[string]string) (domain.TestReport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Tests = append(c.Tests, target)
	stored, settings := c.Stored, c.Settings
	c.Settings = cand
	c.Stored = map[string]string{}
	for k, v := range stored {
		c.Stored[k] = v
	}
	for k, v := range typed {
		c.Stored[k] = v
	}
	defer func() { c.Stored, c.Settings = stored, settings }()
	if target == connections.IFS {
		rep := domain.TestReport{Target: "IFS Cloud"}
		okURL := c.Settings.IFS.URL != ""
		rep.Steps = append(rep.Steps, domain.TestStep{Name: "Reach " + c.Settings.IFS.URL, OK: okURL, Detail: "HTTP 200", Fix: "Enter the IFS URL."})
		okTok := okURL && c.Stored[connections.SecretIFSClient] == c.GoodSecret
		st := domain.TestStep{Name: "Get token", OK: okTok, Skipped: !okURL}
		if !okTok && okURL {
			st.Detail, st.Fix = "HTTP 401 invalid_client", "Check the client id and secret in IFS (Solution Manager → IAM Client Details)."
		}
		rep.Steps = append(rep.Steps, st, domain.TestStep{Name: "Read PurchaseOrderSet", OK: okTok, Skipped: !okTok, Detail: "42 purchase orders"})
		return rep, nil
	}
	ok := c.Settings.Cleo.User != "" && c.Stored[connections.SecretCleoPassword] == c.GoodSecret
	return domain.TestReport{Target: "Cleo", Steps: []domain.TestStep{
		{Name: "Authenticate as " + c.Settings.Cleo.User, OK: ok, Fix: "Check the Cleo user and password."},
		{Name: "List partners", OK: ok, Skipped: !ok, Detail: "3 partners"},
	}}, nil
}

var _ connections.Source = (*Connections)(nil)
