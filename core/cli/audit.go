package cli

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "audit", Summary: "audit ID (timeline), audit export ID (evidence zip), audit verify (hash chain)", Run: runAudit})
}

func runAudit(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("audit", "audit [--json] DOCUMENT_ID | audit export [--out FILE] DOCUMENT_ID | audit verify")
	asJSON := fs.Bool("json", false, "timeline as JSON lines")
	out := fs.String("out", "", "evidence pack file (default: exports/document-ID.zip in the data dir)")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	rest := fs.Args()
	verb := "show"
	if len(rest) > 0 && (rest[0] == "export" || rest[0] == "verify") {
		verb = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return ExitUsage
		}
		rest = fs.Args()
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	if verb == "verify" {
		rep, err := st.VerifyChain(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "audit verify: %v\n", err)
			return ExitFailure
		}
		if !rep.OK {
			fmt.Fprintf(env.Stdout, "audit chain BROKEN at event %d: %s\n", rep.BrokenAt, rep.Problem)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "audit chain intact: %d events\n", rep.Events)
		return ExitOK
	}
	if len(rest) != 1 {
		fmt.Fprintln(env.Stderr, "audit: give one document id")
		return ExitUsage
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %q is not a document id\n", rest[0])
		return ExitUsage
	}
	doc, err := st.Document(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	evs, err := st.DocumentEvents(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	if verb == "export" {
		path := *out
		if path == "" {
			path = filepath.Join(loc.Get(locations.Exports), fmt.Sprintf("document-%d.zip", id))
		}
		if err := writeEvidence(ctx, st, doc, evs, path); err != nil {
			fmt.Fprintf(env.Stderr, "audit export: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintln(env.Stdout, path)
		return ExitOK
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, e := range evs {
			enc.Encode(eventJSON(e))
		}
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "document %d: %s %s %s %s, status %s %s\n", doc.ID, doc.Direction, doc.Type, doc.Partner, doc.BusinessKey, doc.Status, doc.Reason)
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Action, oneLine(string(e.DetailJSON())))
	}
	tw.Flush()
	return ExitOK
}

type auditEventJSON struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

func eventJSON(e store.Event) auditEventJSON {
	return auditEventJSON{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Detail: redactJSON(e.DetailJSON()), PrevHash: e.PrevHash, Hash: e.Hash}
}

// secretField matches JSON members whose names say they hold a secret.
var secretField = regexp.MustCompile(`(?i)"([a-z0-9_]*(secret|password|passwd|token|authorization|api_key|apikey|private_key)[a-z0-9_]*)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// redactJSON blanks secret-looking members. The engine never records
// secrets; this is the second line of defence for an export that leaves
// the machine.
func redactJSON(b []byte) json.RawMessage {
	return secretField.ReplaceAll(b, []byte(`"$1":"[redacted]"`))
}

// writeEvidence writes the evidence pack of one document: the raw EDI, the
// parsed form (with the IFS payload and result), the IFS requests and
// responses recorded in the audit trail, the timeline with its hashes, the
// related documents and the chain check at export time.
func writeEvidence(ctx context.Context, st *store.Store, doc store.Document, evs []store.Event, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(path + ".tmp")
	zw := zip.NewWriter(f)
	add := func(name string, b []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now().UTC()})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	js := func(v any) []byte {
		b, _ := json.MarshalIndent(v, "", "  ")
		return redactJSON(b)
	}
	var ifsCalls []json.RawMessage
	var timeline []auditEventJSON
	for _, e := range evs {
		timeline = append(timeline, eventJSON(e))
		if strings.HasPrefix(e.Action, "invoice.") {
			ifsCalls = append(ifsCalls, redactJSON([]byte(fmt.Sprintf(`{"action":%q,"at":%q,"detail":%s}`, e.Action, e.At.Format(time.RFC3339Nano), e.DetailJSON()))))
		}
	}
	ext := ".x12"
	if len(doc.RawEDI) > 0 && doc.RawEDI[0] == '{' {
		ext = ".json"
	}
	rep, _ := st.VerifyChain(ctx)
	related, _ := st.Documents(ctx, store.DocumentQuery{RelatedID: doc.ID, Limit: 100})
	var relJSON []documentJSON
	for _, r := range related {
		relJSON = append(relJSON, docJSON(r))
	}
	if doc.RelatedID != 0 {
		if r, err := st.Document(ctx, doc.RelatedID); err == nil {
			relJSON = append(relJSON, docJSON(r))
		}
	}
	steps := []struct {
		name string
		b    []byte
	}{
		{"README.txt", []byte(fmt.Sprintf("Evidence pack for document %d (%s %s %s), exported %s.\n"+
			"raw%s: the transaction set as received or sent; parsed.json: the connector's reading of it and the IFS payload;\n"+
			"ifs.json: IFS requests and responses from the audit trail; events.json: the hash-chained audit timeline;\n"+
			"chain.json: the verification of the whole audit chain at export time. Secrets are never recorded.\n",
			doc.ID, doc.Direction, doc.Type, doc.BusinessKey, time.Now().UTC().Format(time.RFC3339), ext))},
		{"document.json", js(docJSON(doc))},
		{"raw" + ext, doc.RawEDI},
		{"parsed.json", redactJSON(doc.Parsed)},
		{"ifs.json", js(ifsCalls)},
		{"events.json", js(timeline)},
		{"related.json", js(relJSON)},
		{"chain.json", js(rep)},
	}
	for _, s := range steps {
		if err := add(s.name, s.b); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
