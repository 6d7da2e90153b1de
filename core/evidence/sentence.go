package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/store"
)

// Sentence says what one audit event recorded, in words a clerk or an
// auditor reads without the JSON: the status change with its reason, the
// IFS invoice id and amount, the Cleo file and transfer, the ETags of a
// correction, the mapping version of a replay. The raw detail stays in the
// event (and in events.json); this is the reading aid beside it.
func Sentence(e store.Event) string {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(e.DetailJSON()))
	dec.UseNumber() // amounts and ids exactly as recorded
	_ = dec.Decode(&m)
	inner, _ := m["detail"].(map[string]any)
	get := func(k string) string {
		if v, ok := m[k]; ok && v != nil {
			return str(v)
		}
		if v, ok := inner[k]; ok && v != nil {
			return str(v)
		}
		return ""
	}
	change := ""
	if from, to := get("from"), get("to"); from != "" && to != "" && from != to {
		change = fmt.Sprintf(" (%s → %s)", from, to)
	}
	why := func() string {
		var parts []string
		if r := get("reason"); r != "" {
			parts = append(parts, r)
		}
		if msg := get("message"); msg != "" {
			parts = append(parts, msg)
		}
		if c := get("comment"); c != "" {
			parts = append(parts, "“"+c+"”")
		}
		if len(parts) == 0 {
			return ""
		}
		return ": " + strings.Join(parts, " — ")
	}
	var s string
	switch a := e.Action; {
	case a == "document.created":
		s = fmt.Sprintf("%s %s %s from %s stored as %s", get("direction"), get("type"), get("business_key"), get("partner"), get("status"))
		if r := get("reason"); r != "" {
			s += " (" + r + ")"
		}
	case a == "invoice.post_intent":
		s = "About to create the invoice in IFS" + money(inner, "request") + change
	case a == "invoice.posted":
		s = fmt.Sprintf("Created in IFS as invoice %s%s%s", get("ifs_invoice_id"), money(inner, "response"), change)
	case a == "invoice.corrected":
		s = fmt.Sprintf("IFS invoice %s corrected in %s attempt(s)%s", get("ifs_invoice_id"), get("attempts"), change)
	case a == "invoice.recoded":
		s = "GL coding changed in IFS" + fields(m, "line", "account", "from_etag", "to_etag", "etag", "mapping_version")
	case a == "send.intent":
		s = fmt.Sprintf("About to send to Cleo as %s%s", get("name"), change)
	case a == "send.done" || a == "send.already_present":
		s = fmt.Sprintf("Handed to Cleo as %s (Cleo id %s)%s", get("name"), get("cleo_id"), change)
		if a == "send.already_present" {
			s += "; Cleo already had it from an earlier attempt"
		}
	case strings.HasPrefix(a, "delivery."):
		s = fmt.Sprintf("Delivery %s", strings.TrimPrefix(a, "delivery."))
		if st := get("network_status"); st != "" {
			s += fmt.Sprintf(": Cleo says %q", st)
		}
		if d := get("detail"); d != "" && inner == nil {
			s += " — " + d
		}
		if id := get("transfer_id"); id != "" {
			s += " (transfer " + id + ")"
		}
		if c := get("comment"); c != "" {
			s += ": " + c
		}
	case a == "ack.accepted" || a == "ack.rejected":
		s = fmt.Sprintf("997 %s by the partner (document %s)%s", strings.TrimPrefix(a, "ack."), get("ack_document"), change)
	case a == "exception.replayed" || a == "replay":
		s = "Replayed" + change
		if v := get("mapping_version"); v != "" {
			s += " with mapping version " + v
		}
		if r := get("reason"); r != "" {
			s += " (was " + r + ")"
		}
	case strings.HasPrefix(a, "exception.") && get("to") == "exception":
		// A document put in the queue: action "exception.<REASON>".
		s = "Exception " + firstNonEmpty(get("reason"), strings.TrimPrefix(a, "exception.")) + change
		if msg := get("message"); msg != "" {
			s += ": " + msg
		}
	case strings.HasPrefix(a, "status."):
		s = "Status " + strings.TrimPrefix(a, "status.") + change + why()
	default:
		s = strings.ReplaceAll(a, ".", " ") + change + why()
	}
	return strings.TrimSpace(s)
}

// money renders the amount of an invoice payload at key of m.
func money(m map[string]any, key string) string {
	inv, _ := m[key].(map[string]any)
	if inv == nil {
		return ""
	}
	out := ""
	if g := str(inv["GrossAmount"]); g != "" {
		out = fmt.Sprintf(", %s %s", g, str(inv["Currency"]))
	}
	if no := str(inv["InvoiceNo"]); no != "" {
		out += ", number " + no
	}
	if due := str(inv["DueDate"]); due != "" {
		out += ", due " + strings.SplitN(due, "T", 2)[0]
	}
	return out
}

// fields lists the given keys of m (and of its "detail") that are present.
func fields(m map[string]any, keys ...string) string {
	inner, _ := m["detail"].(map[string]any)
	var parts []string
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			v, ok = inner[k]
		}
		if ok && v != nil {
			parts = append(parts, k+" "+str(v))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
