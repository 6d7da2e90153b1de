package uifake

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/ui/mappings"
)

// Mappings is an in-memory mappings.Source.
type Mappings struct {
	mu     sync.Mutex
	Ps     []mappings.PartnerMapping
	Tables map[string][][]string // first row is the header
	Hist   []mappings.Change
}

// NewMappings returns two partners (one unmapped) and small tables.
func NewMappings() *Mappings {
	return &Mappings{
		Ps: []mappings.PartnerMapping{
			{PartnerKey: "ZZ:ACME01", PartnerName: "Acme Supplies", Suggestions: []mappings.Suggestion{{SupplierID: "S1001", Name: "ACME Corp", Why: "same ISA id"}}},
			{PartnerKey: "ZZ:GLOBEX", PartnerName: "Globex", SupplierID: "S1042", SupplierName: "Globex Inc"},
		},
		Tables: map[string][][]string{
			mappings.GL:         {{"supplier", "charge", "account", "cost center"}, {"*", "FRT", "6400", "100"}},
			mappings.UoM:        {{"supplier", "edi unit", "ifs unit", "factor"}, {"S1042", "CA", "PCS", "12"}},
			mappings.Tolerances: {{"supplier", "price %", "quantity %"}, {"*", "2", "0"}},
		},
		Hist: []mappings.Change{{Time: Epoch.Add(-time.Hour), Actor: "anna", What: "GL rule FRT → 6400 added"}},
	}
}

// Partners implements mappings.Source.
func (m *Mappings) Partners(context.Context) ([]mappings.PartnerMapping, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mappings.PartnerMapping(nil), m.Ps...), nil
}

// MapPartner implements mappings.Source.
func (m *Mappings) MapPartner(_ context.Context, key, sup string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.Ps {
		if m.Ps[i].PartnerKey == key {
			m.Ps[i].SupplierID = sup
			m.Hist = append(m.Hist, mappings.Change{Time: Epoch, Actor: "test", What: key + " → " + sup})
			return nil
		}
	}
	return fmt.Errorf("partner %s: not found", key)
}

// Table implements mappings.Source.
func (m *Mappings) Table(_ context.Context, kind string) ([]string, [][]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.Tables[kind]
	if len(t) == 0 {
		return nil, nil, fmt.Errorf("table %s: unknown", kind)
	}
	return t[0], t[1:], nil
}

// ExportCSV implements mappings.Source.
func (m *Mappings) ExportCSV(_ context.Context, kind string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(m.Tables[kind])
	return b.Bytes(), w.Error()
}

// ImportCSV implements mappings.Source: the header must match.
func (m *Mappings) ImportCSV(_ context.Context, kind string, data []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return 0, err
	}
	old := m.Tables[kind]
	if len(recs) == 0 || fmt.Sprint(recs[0]) != fmt.Sprint(old[0]) {
		return 0, fmt.Errorf("line 1: header must be %v", old[0])
	}
	m.Tables[kind] = recs
	return len(recs) - 1, nil
}

// History implements mappings.Source.
func (m *Mappings) History(context.Context) ([]mappings.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mappings.Change(nil), m.Hist...), nil
}

var _ mappings.Source = (*Mappings)(nil)
