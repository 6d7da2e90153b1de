package cleo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// DeliveryTracker is implemented by transports that can say what became of
// an outbound file after Send: REST reads Cleo's transfer log, the SFTP and
// folder transports look whether the file left the outbox.
type DeliveryTracker interface {
	// Delivery asks the network about a file that Send handed over.
	Delivery(ctx context.Context, partner domain.Partner, sent domain.SendResult) (domain.DeliveryReport, error)
	// Redeliver sends a file again under the same name, but only when the
	// network confirms the earlier attempt did not go out (its last attempt
	// failed): it runs the send again for a file still queued, or uploads
	// content again when the network no longer holds it. A file that was
	// delivered or is still on its way is left alone; the report says which.
	Redeliver(ctx context.Context, partner domain.Partner, sent domain.SendResult, content io.Reader) (domain.DeliveryReport, error)
}

var (
	_ DeliveryTracker = (*REST)(nil)
	_ DeliveryTracker = (*SFTP)(nil)
	_ DeliveryTracker = (*Folder)(nil)
)

// TransferRecord is one record of Cleo's transfer log (VLTransfers, field
// names camelCased; reference/cleo.md §4 and §5).
type TransferRecord struct {
	TransferID string `json:"transferId"`
	Host       string `json:"host"`
	Mailbox    string `json:"mailbox"`
	Direction  string `json:"direction"`
	IsReceipt  string `json:"isReceipt"`
	Status     string `json:"status"`
	Filename   string `json:"filename"`
	ResultText string `json:"resultText"`
	StartDT    flexTime
	EndDT      flexTime
}

func (t *TransferRecord) UnmarshalJSON(b []byte) error {
	type plain TransferRecord
	var v struct {
		plain
		StartDT flexTime `json:"startDT"`
		EndDT   flexTime `json:"endDT"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = TransferRecord(v.plain)
	t.StartDT, t.EndDT = v.StartDT, v.EndDT
	return nil
}

// The transfer log's twelve status values (reference/cleo.md §4, from the
// VersaLex "Transfer log" field reference), sorted by what they mean for
// a file we send.
var (
	// Out of our hands: the file left. "Warning" is a completed transfer
	// with a remark (kept as the detail); "Delete Error"/"Delete Resolved"
	// concern removing the local copy after a completed send.
	transferDelivered = map[string]bool{"success": true, "warning": true, "delete error": true, "delete resolved": true}
	// The attempt ended without the file reaching the partner.
	transferFailed = map[string]bool{"error": true, "exception": true, "interrupted": true, "discarded": true}
	// Still on its way. "Interim Success/Warning" is an FTP/SFTP server
	// that has the file but has not yet stored it; "Receipt Pending" is an
	// AS2 send waiting for the partner's MDN, which is part of delivery.
	transferPending = map[string]bool{"in progress": true, "receipt pending": true, "interim success": true, "interim warning": true}
)

// DecideDelivery turns the transfer-log records of one outbound file into
// a verdict: any completed send means delivered; otherwise the last attempt
// that ran decides (a failure stays a failure while a retry merely waits in
// the queue, because nothing has gone out); an unknown status counts as
// still pending, so the stuck limit rather than a guess catches it.
func DecideDelivery(records []TransferRecord) domain.DeliveryReport {
	var sends []TransferRecord
	for _, r := range records {
		if strings.EqualFold(r.IsReceipt, "T") || !strings.EqualFold(r.Direction, "send") && r.Direction != "" {
			continue
		}
		sends = append(sends, r)
	}
	sort.SliceStable(sends, func(i, j int) bool {
		a, b := time.Time(sends[i].StartDT), time.Time(sends[j].StartDT)
		if !a.Equal(b) {
			return a.Before(b)
		}
		return sends[i].TransferID < sends[j].TransferID
	})
	rep := domain.DeliveryReport{State: domain.DeliveryPending, Attempts: len(sends)}
	from := func(r TransferRecord) {
		rep.TransferID, rep.Status, rep.Detail, rep.Since = r.TransferID, r.Status, r.ResultText, time.Time(r.StartDT)
	}
	for _, r := range sends {
		if transferDelivered[strings.ToLower(r.Status)] {
			rep.State = domain.DeliveryDelivered
			from(r)
			return rep
		}
	}
	if len(sends) == 0 {
		return rep
	}
	last := sends[len(sends)-1]
	from(last)
	if transferFailed[strings.ToLower(last.Status)] {
		rep.State = domain.DeliveryFailed
		return rep
	}
	if !transferPending[strings.ToLower(last.Status)] {
		// Not one of the twelve: say so, and let the stuck limit decide.
		rep.Detail = strings.TrimSpace("status not known to the connector; " + last.ResultText)
	}
	// Pending (or unknown). An earlier failure with only a queued retry
	// after it is still a failure: nothing went out.
	for i := len(sends) - 2; i >= 0; i-- {
		if transferFailed[strings.ToLower(sends[i].Status)] {
			rep.State = domain.DeliveryFailed
			rep.Status, rep.Detail = sends[i].Status, sends[i].ResultText
			if last.Status != "" {
				rep.Detail += " (a retry is queued: " + last.Status + ")"
			}
			return rep
		}
	}
	return rep
}

// Delivery reads the transfer log for the file's name (direction send,
// the partner's host when it is known) and decides; see DecideDelivery.
func (r *REST) Delivery(ctx context.Context, partner domain.Partner, sent domain.SendResult) (domain.DeliveryReport, error) {
	op := "delivery of " + sent.Name
	if err := CheckName(sent.Name); err != nil {
		return domain.DeliveryReport{}, err
	}
	var recs []TransferRecord
	filter := fmt.Sprintf(`filename eq %q and direction eq "send"`, sent.Name)
	err := r.list(ctx, op, r.paths.Transfers, "", filter, func(raw json.RawMessage) error {
		var t TransferRecord
		if err := json.Unmarshal(raw, &t); err != nil {
			return &Error{Op: op, Kind: domain.KindTransient, Message: "unreadable transfer record", Err: err}
		}
		// The same name can exist towards another partner; a record
		// without a host is kept (the name is ours and deterministic).
		if t.Filename != "" && t.Filename != sent.Name || partner.Alias != "" && t.Host != "" && !strings.EqualFold(t.Host, partner.Alias) {
			return nil
		}
		recs = append(recs, t)
		return nil
	})
	if err != nil {
		return domain.DeliveryReport{}, err
	}
	rep := DecideDelivery(recs)
	if rep.State != domain.DeliveryDelivered && sent.ID != "" {
		rep.InOutbox, err = r.inOutbox(ctx, sent.ID)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// SendLog is the transfer log's send records since a time, by file name
// (REST.SendLog): many files' deliveries from one listing.
type SendLog map[string][]TransferRecord

// ErrSendLogTooLarge is SendLog's answer when more records match than the
// caller would hold: asking file by file is then the cheaper way.
var ErrSendLogTooLarge = errors.New("more transfer records than asked for")

// SendLog reads, in one paged listing, the send records of the transfer
// log that started at or after since (the log's yyyy/mm/dd hh:mm:ss, UTC),
// up to max records. A run that handed hundreds of files over asks once,
// not once per file. The log's time zone is not documented: a record
// outside the window is only missing, and its file is then asked about
// on its own (SendLog.Delivered says ok false).
func (r *REST) SendLog(ctx context.Context, since time.Time, max int) (SendLog, error) {
	op := "read the transfer log"
	filter := fmt.Sprintf(`direction eq "send" and startDT ge %q`, since.UTC().Format("2006/01/02 15:04:05"))
	log, n := SendLog{}, 0
	err := r.list(ctx, op, r.paths.Transfers, "", filter, func(raw json.RawMessage) error {
		var t TransferRecord
		if err := json.Unmarshal(raw, &t); err != nil {
			return &Error{Op: op, Kind: domain.KindTransient, Message: "unreadable transfer record", Err: err}
		}
		if n++; n > max {
			return ErrSendLogTooLarge
		}
		log[t.Filename] = append(log[t.Filename], t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return log, nil
}

// Delivered is Delivery's verdict on a file from the log when the log
// shows it delivered (any completed send is final, DecideDelivery). A
// file not shown delivered gives ok false: Delivery must ask, as it also
// looks whether the file still waits in the outbox.
func (l SendLog) Delivered(partner domain.Partner, name string) (rep domain.DeliveryReport, ok bool) {
	var recs []TransferRecord
	for _, t := range l[name] {
		if partner.Alias != "" && t.Host != "" && !strings.EqualFold(t.Host, partner.Alias) {
			continue // the same name towards another partner
		}
		recs = append(recs, t)
	}
	rep = DecideDelivery(recs)
	return rep, rep.State == domain.DeliveryDelivered
}

// inOutbox reports whether the uploaded file still waits in the outbox.
func (r *REST) inOutbox(ctx context.Context, id string) (bool, error) {
	resp, err := r.do(ctx, "read file "+id, http.MethodGet, r.url(r.paths.File, id, nil), nil, "", http.StatusOK)
	if domain.KindOf(err) == domain.KindNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer drain(resp)
	var f struct {
		Folder string `json:"folder"`
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
		return false, &Error{Op: "read file " + id, Kind: domain.KindTransient, Message: "unreadable file object", Err: err}
	}
	return strings.EqualFold(f.Folder, "outbox") && !strings.EqualFold(f.Status, "sent"), nil
}

// Redeliver re-runs the partner's send action for a failed file that is
// still queued, or uploads it again when Cleo no longer holds it; then
// reads the transfer log again.
func (r *REST) Redeliver(ctx context.Context, partner domain.Partner, sent domain.SendResult, content io.Reader) (domain.DeliveryReport, error) {
	rep, err := r.Delivery(ctx, partner, sent)
	if err != nil || rep.State != domain.DeliveryFailed {
		return rep, err
	}
	if rep.InOutbox {
		if err := r.runSend(ctx, partner); err != nil {
			return rep, err
		}
	} else {
		if _, err := r.Send(ctx, partner, sent.Name, content); err != nil {
			return rep, err
		}
	}
	return r.Delivery(ctx, partner, sent)
}

// runSend runs the "send" action of the partner's connection (Cleo's
// PUT of the outbox) and reports a run that ended in error.
func (r *REST) runSend(ctx context.Context, partner domain.Partner) error {
	op := "run send action of " + firstNonEmptyStr(partner.Alias, partner.ID)
	type action struct {
		Alias      string `json:"alias"`
		Connection struct {
			ID    string `json:"id"`
			Alias string `json:"alias"`
			Href  string `json:"href"`
		} `json:"connection"`
		Links struct {
			Run struct {
				Href string `json:"href"`
			} `json:"run"`
		} `json:"_links"`
	}
	var run string
	err := r.list(ctx, op, r.paths.Actions, "", `alias eq "send"`, func(raw json.RawMessage) error {
		var a action
		if json.Unmarshal(raw, &a) != nil || a.Links.Run.Href == "" || run != "" {
			return nil
		}
		c := a.Connection
		if partner.ID != "" && (c.ID == partner.ID || strings.HasSuffix(c.Href, "/"+partner.ID)) ||
			partner.Alias != "" && strings.EqualFold(c.Alias, partner.Alias) {
			run = a.Links.Run.Href
		}
		return nil
	})
	if err != nil {
		return err
	}
	if run == "" {
		return &Error{Op: op, Kind: domain.KindNotFound, Message: "the connection has no \"send\" action to run"}
	}
	target, err := r.base.Parse(run)
	if err != nil {
		return &Error{Op: op, Kind: domain.KindInvalid, Message: "unusable run link " + run, Err: err}
	}
	target.RawQuery = url.Values{"messagesCount": {"20"}}.Encode()
	resp, err := r.do(ctx, op, http.MethodPost, target.String(), nil, "", http.StatusOK)
	if err != nil {
		return err
	}
	defer drain(resp)
	var res struct {
		Result   string   `json:"result"`
		Messages []string `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return &Error{Op: op, Kind: domain.KindTransient, Message: "unreadable run result", Err: err}
	}
	if strings.EqualFold(res.Result, "error") {
		msg := "the send action ended in error"
		for _, m := range res.Messages {
			if strings.Contains(m, "Error") {
				msg += ": " + strings.TrimSpace(m)
				break
			}
		}
		return &Error{Op: op, Kind: domain.KindBusinessRule, Message: msg}
	}
	return nil
}

func firstNonEmptyStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// delivery for file-shaped transports: the file leaving the outbox (moved
// to the sent folder, or removed by the far side) is all they can know.
func (m *mailbox) delivery(ctx context.Context, partner domain.Partner, sent domain.SendResult) (domain.DeliveryReport, error) {
	if err := CheckName(sent.Name); err != nil {
		return domain.DeliveryReport{}, err
	}
	outbox := sent.ID
	if outbox == "" {
		dir := m.layout.Outbox
		if m.layout.PerPartner {
			p, err := m.resolvePartner(partner)
			if err != nil {
				return domain.DeliveryReport{}, err
			}
			dir = path.Join(dir, p.Alias)
		}
		outbox = path.Join(dir, sent.Name)
	}
	fi, err := m.fs.Stat(ctx, outbox)
	switch {
	case err == nil:
		return domain.DeliveryReport{State: domain.DeliveryPending, Status: "In outbox", Since: fi.ModTime(), Attempts: 1, InOutbox: true,
			Detail: "waiting in " + outbox + " for the network to take it"}, nil
	case errors.Is(err, fs.ErrNotExist):
		detail := "taken from " + outbox + " by the network"
		if m.layout.Sent != "" {
			detail = "moved out of " + outbox
		}
		return domain.DeliveryReport{State: domain.DeliveryDelivered, Status: "Left outbox", Detail: detail, Attempts: 1}, nil
	default:
		return domain.DeliveryReport{}, wrapErr("delivery of "+sent.Name, err)
	}
}

// Delivery says whether the file left the outbox.
func (s *SFTP) Delivery(ctx context.Context, partner domain.Partner, sent domain.SendResult) (domain.DeliveryReport, error) {
	return s.mb.delivery(ctx, partner, sent)
}

// Redeliver cannot make the far side take a file: it reports where the
// file stands (a file-shaped mailbox never says an attempt failed).
func (s *SFTP) Redeliver(ctx context.Context, partner domain.Partner, sent domain.SendResult, _ io.Reader) (domain.DeliveryReport, error) {
	return s.mb.delivery(ctx, partner, sent)
}

// Delivery says whether the file left the outbox.
func (f *Folder) Delivery(ctx context.Context, partner domain.Partner, sent domain.SendResult) (domain.DeliveryReport, error) {
	return f.mb.delivery(ctx, partner, sent)
}

// Redeliver reports where the file stands; see SFTP.Redeliver.
func (f *Folder) Redeliver(ctx context.Context, partner domain.Partner, sent domain.SendResult, _ io.Reader) (domain.DeliveryReport, error) {
	return f.mb.delivery(ctx, partner, sent)
}
