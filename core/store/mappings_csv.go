package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// csvCodec describes the CSV form of one mapping table.
type csvCodec struct {
	header  []string
	toRow   func(value []byte) ([]string, error)
	fromRow func(rec map[string]string) (key string, value any, err error)
}

func dec(s string) (money.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return money.Zero, nil
	}
	return money.Parse(s)
}

var codeHeader = []string{"account", "code_b", "code_c", "code_d", "code_e", "code_f", "code_g", "code_h", "code_i", "code_j"}

func codeRow(c domain.CodeString) []string {
	return []string{c.Account, c.CodeB, c.CodeC, c.CodeD, c.CodeE, c.CodeF, c.CodeG, c.CodeH, c.CodeI, c.CodeJ}
}

func codeFrom(rec map[string]string) domain.CodeString {
	g := func(k string) string { return strings.TrimSpace(rec[k]) }
	return domain.CodeString{Account: g("account"), CodeB: g("code_b"), CodeC: g("code_c"), CodeD: g("code_d"),
		CodeE: g("code_e"), CodeF: g("code_f"), CodeG: g("code_g"), CodeH: g("code_h"), CodeI: g("code_i"), CodeJ: g("code_j")}
}

var csvCodecs = map[MappingKind]csvCodec{
	MappingPartners: {
		header: []string{"isa_qualifier", "isa_id", "supplier_id", "partner_id", "note", "self_billing"},
		toRow: func(b []byte) ([]string, error) {
			var m PartnerMapping
			err := json.Unmarshal(b, &m)
			sb := ""
			if m.SelfBilling {
				sb = "yes"
			}
			return []string{m.ISAQualifier, m.ISAID, m.SupplierID, m.PartnerID, m.Note, sb}, err
		},
		fromRow: func(r map[string]string) (string, any, error) {
			m := PartnerMapping{ISAQualifier: r["isa_qualifier"], ISAID: r["isa_id"], SupplierID: r["supplier_id"],
				PartnerID: strings.TrimSpace(r["partner_id"]), Note: r["note"]}
			switch v := strings.ToLower(strings.TrimSpace(r["self_billing"])); v {
			case "", "no", "false", "0":
			case "yes", "true", "1":
				m.SelfBilling = true
			default:
				return m.Key(), &m, fmt.Errorf("self_billing %q: want yes or no: %w", r["self_billing"], ErrInvalid)
			}
			err := m.normalize()
			return m.Key(), &m, err
		},
	},
	MappingGLRules: {
		header: append([]string{"supplier_id", "charge_code"}, append(codeHeader, "tax_code", "note")...),
		toRow: func(b []byte) ([]string, error) {
			var g GLRule
			err := json.Unmarshal(b, &g)
			return append([]string{g.SupplierID, g.ChargeCode}, append(codeRow(g.Code), g.TaxCode, g.Note)...), err
		},
		fromRow: func(r map[string]string) (string, any, error) {
			g := GLRule{SupplierID: r["supplier_id"], ChargeCode: r["charge_code"], Code: codeFrom(r),
				TaxCode: strings.TrimSpace(r["tax_code"]), Note: r["note"]}
			err := g.normalize()
			return g.Key(), &g, err
		},
	},
	MappingUnits: {
		header: []string{"supplier_id", "x12_unit", "ifs_unit", "factor"},
		toRow: func(b []byte) ([]string, error) {
			var u UnitConversion
			err := json.Unmarshal(b, &u)
			return []string{u.SupplierID, u.X12Unit, u.IFSUnit, u.Factor.String()}, err
		},
		fromRow: func(r map[string]string) (string, any, error) {
			f, err := money.Parse(strings.TrimSpace(r["factor"]))
			if err != nil {
				return "", nil, fmt.Errorf("factor %q: %w", r["factor"], ErrInvalid)
			}
			u := UnitConversion{SupplierID: r["supplier_id"], X12Unit: r["x12_unit"], IFSUnit: r["ifs_unit"], Factor: f}
			err = u.normalize()
			return u.Key(), &u, err
		},
	},
	MappingTolerances: {
		header: []string{"supplier_id", "price_pct", "qty_pct", "absolute", "match"},
		toRow: func(b []byte) ([]string, error) {
			var t Tolerance
			err := json.Unmarshal(b, &t)
			return []string{t.SupplierID, t.PricePct.String(), t.QtyPct.String(), t.Absolute.String(), firstNonEmptyStr(t.Match, MatchTwoWay)}, err
		},
		fromRow: func(r map[string]string) (string, any, error) {
			var t Tolerance
			var err error
			t.SupplierID = r["supplier_id"]
			t.Match = r["match"]
			if t.PricePct, err = dec(r["price_pct"]); err != nil {
				return "", nil, fmt.Errorf("price_pct %q: %w", r["price_pct"], ErrInvalid)
			}
			if t.QtyPct, err = dec(r["qty_pct"]); err != nil {
				return "", nil, fmt.Errorf("qty_pct %q: %w", r["qty_pct"], ErrInvalid)
			}
			if t.Absolute, err = dec(r["absolute"]); err != nil {
				return "", nil, fmt.Errorf("absolute %q: %w", r["absolute"], ErrInvalid)
			}
			err = t.normalize()
			return t.Key(), &t, err
		},
	},
}

// CSVStyle is how an exported CSV file is written. The zero value is plain
// RFC 4180 with ',' and LF line ends.
type CSVStyle struct {
	// Comma separates the fields (0: ','). Excel in a locale whose decimal
	// separator is ',' (German, French, …) reads and writes ';'.
	Comma rune
	// Excel starts the file with a UTF-8 byte order mark, without which
	// Excel reads UTF-8 as the ANSI code page ("MÃ¼ller"), and ends lines
	// with CRLF as Windows programs expect.
	Excel bool
}

// ExportMappingsCSV writes the current mappings of kind as CSV with a header row.
func (s *Store) ExportMappingsCSV(ctx context.Context, kind MappingKind, w io.Writer) error {
	return s.ExportMappingsCSVAs(ctx, kind, w, CSVStyle{})
}

// ExportMappingsCSVAs is ExportMappingsCSV in a chosen style; ImportMappings
// reads every style back (BOM, CRLF and ';' included).
func (s *Store) ExportMappingsCSVAs(ctx context.Context, kind MappingKind, w io.Writer, style CSVStyle) error {
	c, ok := csvCodecs[kind]
	if !ok {
		return fmt.Errorf("export mappings: kind %q: %w", kind, ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT value FROM mappings WHERE kind = ? AND current = 1 AND deleted = 0 ORDER BY key`, kind)
	if err != nil {
		return fmt.Errorf("export %s mappings: %w", kind, err)
	}
	defer rows.Close()
	if style.Excel {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return fmt.Errorf("export %s mappings: %w", kind, err)
		}
	}
	cw := csv.NewWriter(w)
	if style.Comma != 0 {
		cw.Comma = style.Comma
	}
	cw.UseCRLF = style.Excel
	if err := cw.Write(c.header); err != nil {
		return fmt.Errorf("export %s mappings: %w", kind, err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("export %s mappings: %w", kind, err)
		}
		rec, err := c.toRow([]byte(v))
		if err != nil {
			return fmt.Errorf("export %s mappings: %w", kind, err)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("export %s mappings: %w", kind, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s mappings: %w", kind, err)
	}
	cw.Flush()
	return cw.Error()
}

// ImportResult says what an import did (or, for a dry run, would do).
type ImportResult struct {
	Created   int
	Updated   int
	Unchanged int
	Deleted   int // only with Replace
	// Changes lists every add, change and delete in file order, deletes
	// last: what a preview shows before the user confirms.
	Changes []PlannedChange
}

// PlannedChange is one row of an import plan.
type PlannedChange struct {
	Op   string // "add", "change", "delete"
	Key  string // the mapping key
	Line int    // CSV line; 0 for a delete
}

// ImportOptions say how ImportMappings applies a file.
type ImportOptions struct {
	// Replace deletes current mappings the file does not list.
	Replace bool
	// ConfirmDeletes is the number of deletions the user confirmed after
	// a preview. An import that would delete a different number (none
	// confirmed, or the table changed since the preview) is refused with
	// ErrConfirmDeletes and writes nothing: a header-only file never
	// silently empties a table.
	ConfirmDeletes int
	// DryRun plans without writing.
	DryRun bool
	// Validate, when set, checks each parsed row against reference data
	// (the supplier exists, the account is valid today …); an error fails
	// the import with a *RowError for its line.
	Validate func(key string, value any) error
}

// ErrConfirmDeletes refuses an import whose deletions were not confirmed.
var ErrConfirmDeletes = errors.New("the import deletes mappings that were not confirmed")

// RowError is a CSV import failure on one line.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// ImportMappingsCSV imports without deleting anything unconfirmed: with
// replace, a file that would delete mappings is refused (ErrConfirmDeletes);
// use ImportMappings with a preview and ConfirmDeletes for that.
func (s *Store) ImportMappingsCSV(ctx context.Context, kind MappingKind, actor string, r io.Reader, replace bool) (ImportResult, error) {
	return s.ImportMappings(ctx, kind, actor, r, ImportOptions{Replace: replace})
}

// ImportMappings reads CSV (header row with the columns of CSVHeader, in
// any order; unknown columns are an error, missing optional ones are empty)
// and applies it as new mapping versions by actor, all or nothing: any bad
// row fails the whole import with a *RowError naming the line. Each key may
// appear only once. See ImportOptions for deletions, dry runs and
// validation.
func (s *Store) ImportMappings(ctx context.Context, kind MappingKind, actor string, r io.Reader, o ImportOptions) (ImportResult, error) {
	var res ImportResult
	c, ok := csvCodecs[kind]
	if !ok {
		return res, fmt.Errorf("import mappings: kind %q: %w", kind, ErrInvalid)
	}
	// Excel saves CSV with ';' where the decimal separator is ',' (most of
	// Europe): the header row says which one the file uses.
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	cr := csv.NewReader(br)
	if line, _, _ := strings.Cut(string(first), "\n"); strings.Contains(line, ";") && !strings.Contains(line, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return res, fmt.Errorf("import %s mappings: empty file: %w", kind, ErrInvalid)
	}
	if err != nil {
		return res, fmt.Errorf("import %s mappings: %w", kind, err)
	}
	known := map[string]bool{}
	for _, h := range c.header {
		known[h] = true
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[h] {
			return res, fmt.Errorf("import %s mappings: %w", kind, &RowError{Line: 1,
				Err: fmt.Errorf("unknown column %q (expected %s): %w", h, strings.Join(c.header, ","), ErrInvalid)})
		}
		header[i] = h
	}
	type item struct {
		key   string
		value any
	}
	var items []item
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return res, fmt.Errorf("import %s mappings: %w", kind, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			return res, fmt.Errorf("import %s mappings: %w", kind, &RowError{Line: line,
				Err: fmt.Errorf("%d fields, header has %d: %w", len(rec), len(header), ErrInvalid)})
		}
		m := map[string]string{}
		for i, h := range header {
			m[h] = rec[i]
		}
		key, v, err := c.fromRow(m)
		if err != nil {
			return res, fmt.Errorf("import %s mappings: %w", kind, &RowError{Line: line, Err: err})
		}
		if prev, dup := seen[key]; dup {
			return res, fmt.Errorf("import %s mappings: %w", kind, &RowError{Line: line,
				Err: fmt.Errorf("%s repeats line %d: %w", key, prev, ErrInvalid)})
		}
		if o.Validate != nil {
			if err := o.Validate(key, v); err != nil {
				return res, fmt.Errorf("import %s mappings: %w", kind, &RowError{Line: line, Err: err})
			}
		}
		seen[key] = line
		items = append(items, item{key, v})
	}
	errDryRun := errors.New("dry run")
	err = s.Update(ctx, func(tx *Tx) error {
		res = ImportResult{}
		existing, err := tx.mappingKeys(kind)
		if err != nil {
			return err
		}
		had := map[string]bool{}
		for _, k := range existing {
			had[k] = true
		}
		for _, it := range items {
			changed, err := tx.putMapping(kind, it.key, it.value, actor)
			if err != nil {
				return &RowError{Line: seen[it.key], Err: err}
			}
			switch {
			case !changed:
				res.Unchanged++
			case had[it.key]:
				res.Updated++
				res.Changes = append(res.Changes, PlannedChange{Op: "change", Key: it.key, Line: seen[it.key]})
			default:
				res.Created++
				res.Changes = append(res.Changes, PlannedChange{Op: "add", Key: it.key, Line: seen[it.key]})
			}
		}
		if o.Replace {
			for _, k := range existing {
				if _, ok := seen[k]; !ok {
					if _, err := tx.writeMapping(kind, k, nil, true, actor); err != nil {
						return err
					}
					res.Deleted++
					res.Changes = append(res.Changes, PlannedChange{Op: "delete", Key: k})
				}
			}
		}
		if o.DryRun {
			return errDryRun // roll back: the plan is all a dry run keeps
		}
		if res.Deleted != o.ConfirmDeletes && res.Deleted > 0 {
			return fmt.Errorf("%w: it would delete %d (%s), %d confirmed", ErrConfirmDeletes, res.Deleted, deletedKeys(res.Changes), o.ConfirmDeletes)
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return res, nil
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s mappings: %w", kind, err)
	}
	return res, nil
}

func deletedKeys(cs []PlannedChange) string {
	var ks []string
	for _, c := range cs {
		if c.Op == "delete" {
			if len(ks) == 5 {
				ks = append(ks, "…")
				break
			}
			ks = append(ks, c.Key)
		}
	}
	return strings.Join(ks, ", ")
}

func firstNonEmptyStr(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
