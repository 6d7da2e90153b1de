package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrSecretKey is returned (wrapped) when a setting looks like a secret.
// Secrets belong in the OS keychain (core/secrets), never in the database.
var ErrSecretKey = errors.New("looks like a secret: secrets are kept in the keychain, never in the database")

// secretWords are key fragments that mark a secret. A key is compared
// lower-cased with '-' and '.' folded to '_'.
var secretWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "private_key",
	"privatekey", "passphrase", "credential", "bearer", "cookie", "session_key", "access_key", "signing_key"}

// notSecretSuffixes end keys that are about a secret without being one:
// "ifs.token_url", "ifs.client_secret_expires", "cleo.password_ref".
var notSecretSuffixes = []string{"_url", "_uri", "_endpoint", "_path", "_dir", "_file", "_ref", "_name",
	"_expires", "_expires_at", "_expiry", "_fingerprint", "_label", "_source", "_mode"}

// IsSecretKey reports whether a settings key names a secret (password,
// client secret, token, private key, passphrase, credentials …). Keys that
// only describe a secret (its URL, expiry, keychain reference: see
// notSecretSuffixes) are not secrets.
func IsSecretKey(key string) bool {
	k := strings.NewReplacer("-", "_", ".", "_", " ", "_").Replace(strings.ToLower(key))
	for _, suf := range notSecretSuffixes {
		if strings.HasSuffix(k, suf) {
			return false
		}
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// looksLikeSecretValue catches secrets stored under innocent keys: PEM
// private keys and bearer tokens.
func looksLikeSecretValue(v string) bool {
	return strings.Contains(v, "PRIVATE KEY-----") || strings.HasPrefix(strings.TrimSpace(strings.ToLower(v)), "bearer ")
}

func checkSetting(key, value string) error {
	if strings.TrimSpace(key) == "" {
		return fmt.Errorf("setting: empty key: %w", ErrInvalid)
	}
	if IsSecretKey(key) {
		return fmt.Errorf("setting %q %w", key, ErrSecretKey)
	}
	if looksLikeSecretValue(value) {
		return fmt.Errorf("setting %q: value %w", key, ErrSecretKey)
	}
	return nil
}

// SetSetting stores a setting, audited as "setting.set" (with the value,
// which is safe because secrets are refused).
func (t *Tx) SetSetting(actor, key, value string) error {
	if err := checkSetting(key, value); err != nil {
		return err
	}
	var old string
	err := t.tx.QueryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&old)
	if err == nil && old == value {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	actor = actorOr(actor)
	if _, err := t.tx.Exec(`INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
		updated_by = excluded.updated_by`, key, value, fmtTime(t.now), actor); err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	_, err = t.AppendEvent(Event{Subject: "setting:" + key, Actor: actor, Action: "setting.set",
		Detail: map[string]any{"from": old, "to": value}})
	return err
}

// SetSetting is Tx.SetSetting in its own transaction.
func (s *Store) SetSetting(ctx context.Context, actor, key, value string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetSetting(actor, key, value) })
}

// DeleteSetting removes a setting, audited.
func (s *Store) DeleteSetting(ctx context.Context, actor, key string) error {
	return s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.Exec(`DELETE FROM settings WHERE key = ?`, key)
		if err != nil {
			return fmt.Errorf("delete setting %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = tx.AppendEvent(Event{Subject: "setting:" + key, Actor: actor, Action: "setting.deleted"})
		return err
	})
}

// Setting returns a setting; ok is false when it is not set.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}

// Settings returns every setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Schedule is when a flow runs.
type Schedule struct {
	Flow      string    `json:"flow"`
	Cron      string    `json:"cron"` // robfig/cron expression; validated by the engine
	Paused    bool      `json:"paused"`
	UpdatedAt time.Time `json:"-"`
	UpdatedBy string    `json:"-"`
}

// SetSchedule stores a flow's schedule, audited.
func (t *Tx) SetSchedule(actor string, sc Schedule) error {
	if strings.TrimSpace(sc.Flow) == "" || strings.TrimSpace(sc.Cron) == "" {
		return fmt.Errorf("set schedule: flow and cron expression are required: %w", ErrInvalid)
	}
	var oldCron string
	var oldPaused int
	err := t.tx.QueryRow(`SELECT cron, paused FROM schedules WHERE flow = ?`, sc.Flow).Scan(&oldCron, &oldPaused)
	if err == nil && oldCron == sc.Cron && (oldPaused != 0) == sc.Paused {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set schedule %s: %w", sc.Flow, err)
	}
	actor = actorOr(actor)
	if _, err := t.tx.Exec(`INSERT INTO schedules (flow, cron, paused, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (flow) DO UPDATE SET cron = excluded.cron, paused = excluded.paused,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		sc.Flow, strings.TrimSpace(sc.Cron), boolInt(sc.Paused), fmtTime(t.now), actor); err != nil {
		return fmt.Errorf("set schedule %s: %w", sc.Flow, err)
	}
	_, err = t.AppendEvent(Event{Subject: "schedule:" + sc.Flow, Actor: actor, Action: "schedule.set",
		Detail: map[string]any{"cron": sc.Cron, "paused": sc.Paused, "previous_cron": oldCron}})
	return err
}

// SetSchedule is Tx.SetSchedule in its own transaction.
func (s *Store) SetSchedule(ctx context.Context, actor string, sc Schedule) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetSchedule(actor, sc) })
}

// SetSchedulePaused pauses or resumes a flow's schedule, audited.
func (s *Store) SetSchedulePaused(ctx context.Context, actor, flow string, paused bool) error {
	return s.Update(ctx, func(tx *Tx) error {
		var cron string
		err := tx.tx.QueryRow(`SELECT cron FROM schedules WHERE flow = ?`, flow).Scan(&cron)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("pause schedule %s: %w", flow, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("pause schedule %s: %w", flow, err)
		}
		return tx.SetSchedule(actor, Schedule{Flow: flow, Cron: cron, Paused: paused})
	})
}

// Schedules lists the stored schedules by flow.
func (s *Store) Schedules(ctx context.Context) ([]Schedule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT flow, cron, paused, updated_at, updated_by FROM schedules ORDER BY flow`)
	if err != nil {
		return nil, fmt.Errorf("schedules: %w", err)
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		var sc Schedule
		var paused int
		var at string
		if err := rows.Scan(&sc.Flow, &sc.Cron, &paused, &at, &sc.UpdatedBy); err != nil {
			return nil, fmt.Errorf("schedules: %w", err)
		}
		sc.Paused, sc.UpdatedAt = paused != 0, parseTime(at)
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ConfigFormat and ConfigVersion identify a configuration export.
const (
	ConfigFormat  = "ml-connector-config"
	ConfigVersion = 1
)

// Config is the exportable configuration: settings, schedules, partner
// modes and the current mappings. It never holds secrets (they are never in
// the database, and ImportConfig refuses them).
type Config struct {
	Format     string            `json:"format"`
	Version    int               `json:"version"`
	ExportedAt time.Time         `json:"exported_at"`
	Settings   map[string]string `json:"settings"`
	Schedules  []Schedule        `json:"schedules"`
	Partners   []PartnerConfig   `json:"partners"`
	Mappings   ConfigMappings    `json:"mappings"`
}

// PartnerConfig is a partner's connector-side configuration.
type PartnerConfig struct {
	ID                 string      `json:"id"`
	Mode               PartnerMode `json:"mode"`
	AckDeadlineMinutes int         `json:"ack_deadline_minutes,omitempty"`
	// DeliveryLimitMinutes is how long a file may stay pending in the
	// network before it counts as stuck; 0: the company default.
	DeliveryLimitMinutes int `json:"delivery_limit_minutes,omitempty"`
	// Strictness is how strictly the partner's X12 is read; "" (from an
	// older export) keeps the current level.
	Strictness Strictness `json:"x12_strictness,omitempty"`
}

// ConfigMappings holds the current mappings of every table.
type ConfigMappings struct {
	Partners   []PartnerMapping `json:"partners"`
	GLRules    []GLRule         `json:"gl_rules"`
	Units      []UnitConversion `json:"units"`
	Tolerances []Tolerance      `json:"tolerances"`
}

// ExportConfig returns the current configuration.
func (s *Store) ExportConfig(ctx context.Context) (Config, error) {
	c := Config{Format: ConfigFormat, Version: ConfigVersion, ExportedAt: s.now().UTC().Truncate(time.Second)}
	var err error
	if c.Settings, err = s.Settings(ctx); err != nil {
		return c, err
	}
	if c.Schedules, err = s.Schedules(ctx); err != nil {
		return c, err
	}
	ps, err := s.Partners(ctx)
	if err != nil {
		return c, err
	}
	for _, p := range ps {
		c.Partners = append(c.Partners, PartnerConfig{ID: p.ID, Mode: p.Mode, AckDeadlineMinutes: int(p.AckDeadline / time.Minute),
			DeliveryLimitMinutes: int(p.DeliveryLimit / time.Minute), Strictness: p.Strictness})
	}
	if c.Mappings.Partners, err = s.PartnerMappings(ctx); err != nil {
		return c, err
	}
	if c.Mappings.GLRules, err = s.GLRules(ctx); err != nil {
		return c, err
	}
	if c.Mappings.Units, err = s.UnitConversions(ctx); err != nil {
		return c, err
	}
	if c.Mappings.Tolerances, err = s.Tolerances(ctx); err != nil {
		return c, err
	}
	return c, nil
}

// ValidateConfig checks a configuration without applying it: format,
// version, no secrets, every mapping well-formed.
func ValidateConfig(c Config) error {
	if c.Format != ConfigFormat {
		return fmt.Errorf("config: format %q is not %q: %w", c.Format, ConfigFormat, ErrInvalid)
	}
	if c.Version < 1 || c.Version > ConfigVersion {
		return fmt.Errorf("config: version %d not supported (this program reads up to %d): %w", c.Version, ConfigVersion, ErrInvalid)
	}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkSetting(k, c.Settings[k]); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for _, sc := range c.Schedules {
		if strings.TrimSpace(sc.Flow) == "" || strings.TrimSpace(sc.Cron) == "" {
			return fmt.Errorf("config: schedule %q needs a flow and a cron expression: %w", sc.Flow, ErrInvalid)
		}
	}
	for _, p := range c.Partners {
		if p.ID == "" || (p.Mode != ModeLive && p.Mode != ModeTest) || p.AckDeadlineMinutes < 0 || p.DeliveryLimitMinutes < 0 {
			return fmt.Errorf("config: partner %q: mode %q / deadline %d / delivery limit %d: %w", p.ID, p.Mode,
				p.AckDeadlineMinutes, p.DeliveryLimitMinutes, ErrInvalid)
		}
		if _, err := ParseStrictness(string(p.Strictness)); err != nil {
			return fmt.Errorf("config: partner %q: %w", p.ID, err)
		}
	}
	for _, m := range c.Mappings.Partners {
		if err := m.normalize(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for _, m := range c.Mappings.GLRules {
		if err := m.normalize(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for _, m := range c.Mappings.Units {
		if err := m.normalize(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	for _, m := range c.Mappings.Tolerances {
		if err := m.normalize(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}

// ImportConfig validates c and applies it in one transaction by actor:
// settings and schedules are set, modes of known partners are set (unknown
// partners are skipped and counted), mappings are set as new versions where
// they differ. Nothing is deleted. It returns how many partners were skipped.
func (s *Store) ImportConfig(ctx context.Context, actor string, c Config) (skippedPartners int, err error) {
	if err := ValidateConfig(c); err != nil {
		return 0, err
	}
	err = s.Update(ctx, func(tx *Tx) error {
		skippedPartners = 0
		for k, v := range c.Settings {
			if err := tx.SetSetting(actor, k, v); err != nil {
				return err
			}
		}
		for _, sc := range c.Schedules {
			if err := tx.SetSchedule(actor, sc); err != nil {
				return err
			}
		}
		for _, p := range c.Partners {
			var cur PartnerMode
			var minutes, limit int
			var strict Strictness
			err := tx.tx.QueryRow(`SELECT mode, ack_deadline_minutes, delivery_limit_minutes, x12_strictness FROM partners WHERE id = ?`, p.ID).Scan(&cur, &minutes, &limit, &strict)
			if errors.Is(err, sql.ErrNoRows) {
				skippedPartners++
				continue
			}
			if err != nil {
				return fmt.Errorf("import partner %s: %w", p.ID, err)
			}
			if p.Strictness == "" {
				p.Strictness = strict
			}
			if cur == p.Mode && minutes == p.AckDeadlineMinutes && limit == p.DeliveryLimitMinutes && strict == p.Strictness {
				continue
			}
			if _, err := tx.tx.Exec(`UPDATE partners SET mode = ?, ack_deadline_minutes = ?, delivery_limit_minutes = ?, x12_strictness = ?, updated_at = ? WHERE id = ?`,
				p.Mode, p.AckDeadlineMinutes, p.DeliveryLimitMinutes, string(p.Strictness), fmtTime(tx.now), p.ID); err != nil {
				return fmt.Errorf("import partner %s: %w", p.ID, err)
			}
			if _, err := tx.AppendEvent(Event{Subject: "partner:" + p.ID, Actor: actor, Action: "partner.mode",
				Detail: map[string]any{"from": cur, "to": p.Mode, "ack_deadline_minutes": p.AckDeadlineMinutes,
					"delivery_limit_minutes": p.DeliveryLimitMinutes, "x12_strictness": string(p.Strictness), "via": "config import"}}); err != nil {
				return err
			}
		}
		for _, m := range c.Mappings.Partners {
			if err := m.normalize(); err != nil {
				return err
			}
			if _, err := tx.putMapping(MappingPartners, m.Key(), &m, actor); err != nil {
				return err
			}
		}
		for _, m := range c.Mappings.GLRules {
			if err := m.normalize(); err != nil {
				return err
			}
			if _, err := tx.putMapping(MappingGLRules, m.Key(), &m, actor); err != nil {
				return err
			}
		}
		for _, m := range c.Mappings.Units {
			if err := m.normalize(); err != nil {
				return err
			}
			if _, err := tx.putMapping(MappingUnits, m.Key(), &m, actor); err != nil {
				return err
			}
		}
		for _, m := range c.Mappings.Tolerances {
			if err := m.normalize(); err != nil {
				return err
			}
			if _, err := tx.putMapping(MappingTolerances, m.Key(), &m, actor); err != nil {
				return err
			}
		}
		_, err := tx.AppendEvent(Event{Subject: "config", Actor: actor, Action: "config.imported",
			Detail: map[string]any{"version": c.Version, "exported_at": c.ExportedAt}})
		return err
	})
	if err != nil {
		return 0, err
	}
	return skippedPartners, nil
}
