package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Chain asks several stores in order: the first that has the secret answers.
// A typical headless setup is NewChain(credentialsDir, keyring): systemd
// credentials win, the keychain is the fallback.
type Chain struct {
	stores []Store
}

// NewChain returns a chain over stores, asked in the given order.
func NewChain(stores ...Store) *Chain { return &Chain{stores: stores} }

// Label joins the labels of the stores with " then ".
func (c *Chain) Label() string {
	labels := make([]string, len(c.stores))
	for i, s := range c.stores {
		labels[i] = LabelOf(s)
	}
	return strings.Join(labels, " then ")
}

// Get returns the value from the first store that has key. Stores that do
// not have it or are unavailable are skipped. When none has it, the error
// joins every store's error, so errors.Is finds ErrNotFound when some
// store answered "not there" and ErrUnavailable when some could not be
// asked; its message names each store.
func (c *Chain) Get(ctx context.Context, key string) (string, error) {
	var errs []error
	for _, s := range c.stores {
		v, err := s.Get(ctx, key)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnavailable) {
			return "", err
		}
		errs = append(errs, fmt.Errorf("%s: %w", LabelOf(s), err))
	}
	if len(errs) == 0 {
		return "", fmt.Errorf("get secret %s: no secret store configured: %w", key, ErrNotFound)
	}
	return "", errors.Join(errs...)
}

// Set writes to the first store that accepts writes and is available.
func (c *Chain) Set(ctx context.Context, key, value string) error {
	var errs []error
	for _, s := range c.stores {
		err := s.Set(ctx, key, value)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrReadOnly) && !errors.Is(err, ErrUnavailable) {
			return err
		}
		errs = append(errs, fmt.Errorf("%s: %w", LabelOf(s), err))
	}
	if len(errs) == 0 {
		return fmt.Errorf("set secret %s: no secret store configured: %w", key, ErrUnavailable)
	}
	return errors.Join(errs...)
}

// Delete removes key from every writable store that has it; ErrNotFound
// when none had it.
func (c *Chain) Delete(ctx context.Context, key string) error {
	deleted := false
	var errs []error
	for _, s := range c.stores {
		err := s.Delete(ctx, key)
		switch {
		case err == nil:
			deleted = true
		case errors.Is(err, ErrReadOnly), errors.Is(err, ErrNotFound):
		case errors.Is(err, ErrUnavailable):
			errs = append(errs, fmt.Errorf("%s: %w", LabelOf(s), err))
		default:
			return err
		}
	}
	if deleted {
		return nil
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return fmt.Errorf("delete secret %s: %w", key, ErrNotFound)
}
