package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// savedConfig is the engine's persisted rules and reference caches. It is
// kept as one JSON value in the store (cursor "engine.config"), versioned:
// every change bumps Version and writes an audit event naming the actor
// and the change, so each processed document can cite the version it used.
type savedConfig struct {
	Version         int64                        `json:"version"`
	PartnerSupplier map[string]string            `json:"partner_supplier"`
	Tolerances      map[string]Tolerance         `json:"tolerances"`
	GLRules         map[string]domain.CodeString `json:"gl_rules"`
	PartnerMode     map[string]string            `json:"partner_mode"`
	AckDeadlineMin  map[string]int               `json:"ack_deadline_minutes"`
	Partners        []PartnerInfo                `json:"partners"`
	Suppliers       []domain.Supplier            `json:"suppliers"`
	Accounts        []domain.CodePartValue       `json:"accounts"`
	RefreshedAt     time.Time                    `json:"refreshed_at"`
}

const configCursor = "engine.config"

var cfgMu sync.Mutex // serialises read-modify-write of the config value within a process

func (e *Engine) readSaved(ctx context.Context) (savedConfig, error) {
	var sc savedConfig
	v, ok, err := e.st.Cursor(ctx, configCursor)
	if err != nil {
		return sc, err
	}
	if ok && v != "" {
		if err := json.Unmarshal([]byte(v), &sc); err != nil {
			return sc, fmt.Errorf("engine config: %w", err)
		}
	}
	if sc.PartnerSupplier == nil {
		sc.PartnerSupplier = map[string]string{}
	}
	if sc.Tolerances == nil {
		sc.Tolerances = map[string]Tolerance{}
	}
	if sc.GLRules == nil {
		sc.GLRules = map[string]domain.CodeString{}
	}
	if sc.PartnerMode == nil {
		sc.PartnerMode = map[string]string{}
	}
	if sc.AckDeadlineMin == nil {
		sc.AckDeadlineMin = map[string]int{}
	}
	return sc, nil
}

// modifyConfig applies fn to the saved config and stores it with an audit
// event in one transaction. system changes (reference refresh) do not bump
// the mapping version.
func (e *Engine) modifyConfig(ctx context.Context, actor, action, subject string, detail any, bump bool, fn func(*savedConfig) error) error {
	cfgMu.Lock()
	defer cfgMu.Unlock()
	sc, err := e.readSaved(ctx)
	if err != nil {
		return err
	}
	if err := fn(&sc); err != nil {
		return err
	}
	if bump {
		sc.Version++
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	return e.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetCursor(configCursor, string(b)); err != nil {
			return err
		}
		if action == "" {
			return nil
		}
		if m, ok := detail.(map[string]any); ok && bump {
			m["version"] = sc.Version
		}
		_, err := tx.AppendEvent(store.Event{Subject: subject, Actor: actor, Action: action, Detail: detail})
		return err
	})
}

// loadConfig builds the snapshot for a processing step.
func (e *Engine) loadConfig(ctx context.Context) (*config, error) {
	sc, err := e.readSaved(ctx)
	if err != nil {
		return nil, err
	}
	c := &config{Maps: Mappings{PartnerSupplier: sc.PartnerSupplier, Tolerances: sc.Tolerances, GLRules: sc.GLRules, Version: sc.Version},
		Ref: Reference{Suppliers: suppliersByID(sc.Suppliers), Accounts: map[string]domain.CodePartValue{}}}
	for _, a := range sc.Accounts {
		c.Ref.Accounts[a.Value] = a
	}
	for _, p := range sc.Partners {
		if m, ok := sc.PartnerMode[p.Key()]; ok {
			p.Mode = m
		}
		if p.Mode == "" {
			p.Mode = "live"
		}
		if n, ok := sc.AckDeadlineMin[p.Key()]; ok && n > 0 {
			p.AckDeadline = time.Duration(n) * time.Minute
		}
		c.Partners = append(c.Partners, p)
	}
	c.index()
	return c, nil
}

// PartnerKey normalises "qual:id" as documents and mappings use it.
func PartnerKey(qual, id string) string {
	return strings.ToUpper(strings.TrimSpace(qual)) + ":" + strings.TrimSpace(id)
}
