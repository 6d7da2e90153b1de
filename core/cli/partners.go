package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"
)

func init() {
	Register(Command{Name: "partners", Summary: "the trading partners and their settings; partners set KEY --strictness standard|strict|lenient", Run: runPartners})
}

// partnerRow is one line of 'partners --json'.
type partnerRow struct {
	Key                  string `json:"key"` // QUAL:ID, the key of documents and mappings
	ID                   string `json:"id"`  // Cleo's partner id
	Alias                string `json:"alias"`
	Supplier             string `json:"supplier,omitempty"` // the IFS supplier id stored at Cleo
	Mode                 string `json:"mode"`
	Strictness           string `json:"x12_strictness"`
	AckDeadlineMinutes   int    `json:"ack_deadline_minutes,omitempty"`
	DeliveryLimitMinutes int    `json:"delivery_limit_minutes,omitempty"`
}

func runPartners(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 && args[0] == "set" {
		return runPartnersSet(ctx, env, args[1:])
	}
	fs := env.Flags("partners", "partners [--json] | partners set QUAL:ID --strictness standard|strict|lenient")
	asJSON := fs.Bool("json", false, "one JSON object per partner")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "partners: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	ps, err := a.eng.Partners(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "partners: %v\n", err)
		return ExitFailure
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "KEY\tALIAS\tSUPPLIER\tMODE\tX12\t997 DEADLINE\tDELIVERY LIMIT")
	}
	enc := json.NewEncoder(env.Stdout)
	for _, p := range ps {
		r := partnerRow{Key: p.Key(), ID: p.ID, Alias: p.Alias, Supplier: p.ExternalID, Mode: p.Mode,
			Strictness: p.Strictness, AckDeadlineMinutes: int(p.AckDeadline / time.Minute),
			DeliveryLimitMinutes: int(p.DeliveryLimit / time.Minute)}
		if r.Strictness == "" {
			r.Strictness = "standard"
		}
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return ExitFailure
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Key, r.Alias, r.Supplier, r.Mode, r.Strictness,
			durOrDefault(p.AckDeadline), durOrDefault(p.DeliveryLimit))
	}
	if err := tw.Flush(); err != nil {
		return ExitFailure
	}
	return ExitOK
}

func durOrDefault(d time.Duration) string {
	if d <= 0 {
		return "default"
	}
	return d.String()
}

func runPartnersSet(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("partners set", "partners set QUAL:ID --strictness standard|strict|lenient")
	strictness := fs.String("strictness", "", "how strictly the partner's X12 is read: standard (the segment dictionary), strict (also envelope deviations are errors) or lenient (undefined segments, extra elements and lengths are accepted, the 997 notes them: AK5*E)")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	// "partners set KEY --strictness X" reads as well as the flags first.
	keys, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(keys) != 1 || *strictness == "" {
		fmt.Fprintln(env.Stderr, "partners set: give one partner key (QUAL:ID, see 'partners') and --strictness")
		return ExitUsage
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "partners set: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	if err := a.eng.SetPartnerStrictness(ctx, keys[0], *strictness); err != nil {
		fmt.Fprintf(env.Stderr, "partners set: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "partner %s: X12 read %s from the next file on\n", keys[0], *strictness)
	return ExitOK
}
