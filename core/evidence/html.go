package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/store"
)

// names are the people-facing names the summary shows beside the ids: the
// supplier's from IFS (suppliers cache), the partner's alias from Cleo.
type names struct {
	Supplier string
	Partner  string
}

// namesOf looks the names up; an id the caches do not know has no name
// (the summary shows the id alone), any other failure stops the export.
func namesOf(ctx context.Context, st *store.Store, d store.Document) (names, error) {
	var n names
	if d.SupplierID != "" {
		s, err := st.Supplier(ctx, d.SupplierID)
		switch {
		case err == nil:
			n.Supplier = s.Name
		case !errors.Is(err, store.ErrNotFound):
			return n, fmt.Errorf("supplier %s: %w", d.SupplierID, err)
		}
	}
	if d.Partner != "" {
		var p store.PartnerRecord
		var err error
		if q, id, ok := strings.Cut(d.Partner, ":"); ok {
			p, err = st.PartnerByISA(ctx, q, id)
		} else {
			p, err = st.Partner(ctx, d.Partner)
		}
		switch {
		case err == nil:
			n.Partner = p.Alias
		case !errors.Is(err, store.ErrNotFound):
			return n, fmt.Errorf("partner %s: %w", d.Partner, err)
		}
	}
	return n, nil
}

// TypeWords names an X12 transaction set for people: "Invoice (810)".
func TypeWords(t string) string {
	switch t {
	case string(store.Type810):
		return "Invoice (810)"
	case string(store.Type850):
		return "Purchase order (850)"
	case string(store.Type997):
		return "Functional acknowledgment (997)"
	}
	return t
}

// summaryPage is what summary.html shows.
type summaryPage struct {
	Doc      Document
	Names    names
	Title    string
	Exported string
	Events   []summaryEvent
	Related  []Document
	Chain    store.ChainReport
	RawName  string
}

type summaryEvent struct {
	At, Actor, What, Action, Hash string
}

// utc formats a time for the page: explicit about its zone.
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// summaryHTML is the pack's page for people: one self-contained HTML file
// (no scripts, no external styles) that opens in any browser and prints.
// html/template escapes every value: business keys, messages and names
// come from suppliers' files and must not become markup.
func summaryHTML(d Document, n names, evs []store.Event, rel []Document, rep store.ChainReport, rawName string, exported time.Time) ([]byte, error) {
	dir := "received from"
	if d.Direction == string(store.Outbound) {
		dir = "sent to"
	}
	who := d.Partner
	if n.Partner != "" {
		who = n.Partner + " (" + d.Partner + ")"
	}
	p := summaryPage{Doc: d, Names: n, Related: rel, Chain: rep, RawName: rawName, Exported: utc(exported),
		Title: fmt.Sprintf("%s %s %s %s", TypeWords(d.Type), d.BusinessKey, dir, who)}
	for _, e := range evs {
		h := e.Hash
		if len(h) > 12 {
			h = h[:12]
		}
		p.Events = append(p.Events, summaryEvent{At: utc(e.At), Actor: e.Actor, What: Sentence(e), Action: e.Action, Hash: h})
	}
	var b bytes.Buffer
	if err := summaryTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("summary.html: %w", err)
	}
	return b.Bytes(), nil
}

var summaryTmpl = template.Must(template.New("summary").Funcs(template.FuncMap{"utc": utc, "type": TypeWords}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence: {{.Title}}</title>
<style>
body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3;width:14em}.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#0a6b2d;font-weight:bold}.bad{color:#a40000;font-weight:bold}small{color:#666}
</style></head><body>
<h1>{{.Title}}</h1>
<p><small>Evidence pack exported {{.Exported}}. This page summarises the files beside it: {{.RawName}} (the transaction set as received or sent), parsed.json, ifs.json, events.json and chain.json.</small></p>
<h2>Document</h2>
<table>
<tr><th>Type</th><td>{{type .Doc.Type}}, {{.Doc.Direction}}</td></tr>
<tr><th>Number</th><td>{{.Doc.BusinessKey}}</td></tr>
<tr><th>Status</th><td>{{.Doc.Status}}{{if .Doc.Reason}} — {{.Doc.Reason}}{{end}}{{if .Doc.Message}}<br>{{.Doc.Message}}{{end}}</td></tr>
{{if .Doc.Amount}}<tr><th>Amount</th><td class="num">{{.Doc.Amount}} {{.Doc.Currency}}</td></tr>{{end}}
<tr><th>Supplier</th><td>{{if .Names.Supplier}}{{.Names.Supplier}} ({{.Doc.SupplierID}}){{else}}{{or .Doc.SupplierID "not known yet"}}{{end}}</td></tr>
<tr><th>Trading partner</th><td>{{if .Names.Partner}}{{.Names.Partner}} ({{.Doc.Partner}}){{else}}{{.Doc.Partner}}{{end}}</td></tr>
{{if .Doc.IFSInvoiceID}}<tr><th>IFS invoice</th><td>{{.Doc.IFSInvoiceID}}</td></tr>{{end}}
{{if .Doc.CleoName}}<tr><th>Cleo file</th><td>{{.Doc.CleoName}}</td></tr>{{end}}
{{if .Doc.Delivery}}<tr><th>Delivery</th><td>{{.Doc.Delivery}}{{if .Doc.DeliveryStatus}} (Cleo: {{.Doc.DeliveryStatus}}){{end}}{{if .Doc.TransferID}}, transfer {{.Doc.TransferID}}{{end}}{{if .Doc.DeliveryDetail}} — {{.Doc.DeliveryDetail}}{{end}}</td></tr>{{end}}
<tr><th>Test or live</th><td>{{if .Doc.TestMode}}test{{else}}live{{end}}</td></tr>
<tr><th>First stored</th><td>{{utc .Doc.CreatedAt}}</td></tr>
<tr><th>Last changed</th><td>{{utc .Doc.UpdatedAt}}</td></tr>
<tr><th>Attempts</th><td>{{.Doc.Attempts}}</td></tr>
</table>
<h2>What happened</h2>
<table>
<tr><th style="width:12em">When</th><th style="width:8em">Who</th><th style="width:auto">What</th></tr>
{{range .Events}}<tr><td>{{.At}}</td><td>{{.Actor}}</td><td>{{.What}}<br><small>{{.Action}} · hash {{.Hash}}…</small></td></tr>
{{else}}<tr><td colspan="3">No events recorded.</td></tr>
{{end}}</table>
{{if .Related}}<h2>Related documents</h2>
<table>
<tr><th>Type</th><th>Number</th><th>Status</th><th>Amount</th><th>Stored</th></tr>
{{range .Related}}<tr><td>{{type .Type}}, {{.Direction}}</td><td>{{.BusinessKey}}</td><td>{{.Status}}{{if .Reason}} — {{.Reason}}{{end}}</td><td class="num">{{.Amount}} {{.Currency}}</td><td>{{utc .CreatedAt}}</td></tr>
{{end}}</table>{{end}}
<h2>Audit chain</h2>
{{if .Chain.OK}}<p class="ok">Intact: all {{.Chain.Events}} events of the audit trail verified at export time (each event's hash covers its content and its predecessor's hash).</p>
{{else}}<p class="bad">BROKEN at event {{.Chain.BrokenAt}}: {{.Chain.Problem}}. The events above may not be what was recorded; see chain.json.</p>{{end}}
</body></html>
`))
