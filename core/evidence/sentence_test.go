package evidence

import (
	"encoding/json"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/store"
)

func TestSentence(t *testing.T) {
	ev := func(action, detail string) store.Event {
		return store.Event{Action: action, Detail: json.RawMessage(detail)}
	}
	for _, tc := range []struct {
		e    store.Event
		want string
	}{
		{ev("document.created", `{"status":"received","direction":"inbound","type":"810","partner":"ZZ:ACME","business_key":"INV-7"}`),
			"inbound 810 INV-7 from ZZ:ACME stored as received"},
		{ev("invoice.posted", `{"from":"posting","to":"posted","detail":{"ifs_invoice_id":220006,"response":{"InvoiceNo":"INV-7","GrossAmount":"1234.50","Currency":"GBP","DueDate":"2027-01-03T00:00:00Z"}}}`),
			"Created in IFS as invoice 220006, 1234.50 GBP, number INV-7, due 2027-01-03 (posting → posted)"},
		{ev("status.exception", `{"from":"matched","to":"exception","reason":"PRICE_VARIANCE","message":"line 1 at 10.20, PO 10.00"}`),
			"Status exception (matched → exception): PRICE_VARIANCE — line 1 at 10.20, PO 10.00"},
		{ev("send.done", `{"from":"sending","to":"sent","detail":{"name":"850_P1_1.edi","cleo_id":"F7","already_present":false}}`),
			"Handed to Cleo as 850_P1_1.edi (Cleo id F7) (sending → sent)"},
		{ev("delivery.failed", `{"state":"failed","from":"pending","transfer_id":"T00000014","network_status":"Error","detail":"certificate expired","attempts":1}`),
			`Delivery failed: Cleo says "Error" — certificate expired (transfer T00000014)`},
		{ev("exception.replayed", `{"exception_id":4,"reason":"PARTNER_NOT_MAPPED","mapping_version":12,"preview":"post"}`),
			"Replayed with mapping version 12 (was PARTNER_NOT_MAPPED)"},
		{ev("exception.PARTNER_NOT_MAPPED", `{"from":"received","to":"exception","reason":"PARTNER_NOT_MAPPED","message":"Partner ZZ:X is not mapped"}`),
			"Exception PARTNER_NOT_MAPPED (received → exception): Partner ZZ:X is not mapped"},
		{ev("partner.mode", `{"from":"test","to":"live"}`), "partner mode (test → live)"},
	} {
		if got := Sentence(tc.e); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.e.Action, got, tc.want)
		}
	}
}
