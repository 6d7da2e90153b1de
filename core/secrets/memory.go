package secrets

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Memory keeps secrets in memory only, for the demo and tests. Nothing
// survives the process.
type Memory struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{m: map[string]string{}} }

// Label says, for the connections screen, that nothing is saved.
func (m *Memory) Label() string { return "demo, in memory, not saved" }

// Get returns the secret under key.
func (m *Memory) Get(ctx context.Context, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	if !ok {
		return "", fmt.Errorf("get secret %s: %w", key, ErrNotFound)
	}
	return v, nil
}

// Set stores value under key.
func (m *Memory) Set(ctx context.Context, key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = value
	return nil
}

// Delete removes key (ErrNotFound when absent).
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; !ok {
		return fmt.Errorf("delete secret %s: %w", key, ErrNotFound)
	}
	delete(m.m, key)
	return nil
}

// Keys lists the stored keys, sorted (for tests that plant secrets).
func (m *Memory) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.m))
	for k := range m.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
