package ifs

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// batchOp is one request inside a $batch change set.
type batchOp struct {
	method string
	// url is relative to the service root ("ManSuppInvoiceSet") or starts
	// with a Content-ID reference ("$1/InvoiceItemArray").
	url  string
	body any // nil: no body (DELETE)
	// ifMatch is sent as If-Match (a conditional PATCH or DELETE).
	ifMatch string
}

// batchResult is one answer from a $batch response.
type batchResult struct {
	contentID string
	status    int
	header    http.Header
	body      []byte
}

func newBoundary(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// encodeChangeSet writes a multipart/mixed $batch body holding one atomic
// change set; each op gets Content-ID i+1. It returns the body and its
// Content-Type.
func encodeChangeSet(ops []batchOp) ([]byte, string, error) {
	var buf bytes.Buffer
	batch := multipart.NewWriter(&buf)
	if err := batch.SetBoundary(newBoundary("batch")); err != nil {
		return nil, "", err
	}
	var cs bytes.Buffer
	change := multipart.NewWriter(&cs)
	if err := change.SetBoundary(newBoundary("changeset")); err != nil {
		return nil, "", err
	}
	for i, op := range ops {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", "application/http")
		h.Set("Content-Transfer-Encoding", "binary")
		h.Set("Content-ID", strconv.Itoa(i+1))
		part, err := change.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		var body []byte
		if op.body != nil {
			if body, err = json.Marshal(op.body); err != nil {
				return nil, "", err
			}
		}
		fmt.Fprintf(part, "%s %s HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n", op.method, op.url)
		if op.ifMatch != "" {
			fmt.Fprintf(part, "If-Match: %s\r\n", op.ifMatch)
		}
		fmt.Fprintf(part, "Content-Length: %d\r\n\r\n", len(body))
		part.Write(body)
	}
	if err := change.Close(); err != nil {
		return nil, "", err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "multipart/mixed; boundary="+change.Boundary())
	part, err := batch.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	part.Write(cs.Bytes())
	if err := batch.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "multipart/mixed; boundary=" + batch.Boundary(), nil
}

// decodeBatch reads a multipart/mixed $batch response into its answers,
// flattening change sets. A change set that failed as a whole comes back as
// a single answer (OData v4), which is returned as is.
func decodeBatch(ctype string, body []byte) ([]batchResult, error) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, fmt.Errorf("$batch answer is %q, not multipart", ctype)
	}
	var out []batchResult
	err = readMultipart(multipart.NewReader(bytes.NewReader(body), params["boundary"]), &out, 0)
	return out, err
}

func readMultipart(mr *multipart.Reader, out *[]batchResult, depth int) error {
	if depth > 2 {
		return fmt.Errorf("$batch answer nested too deeply")
	}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read $batch answer: %w", err)
		}
		ct := p.Header.Get("Content-Type")
		mt, params, _ := mime.ParseMediaType(ct)
		switch {
		case strings.HasPrefix(mt, "multipart/"):
			if err := readMultipart(multipart.NewReader(p, params["boundary"]), out, depth+1); err != nil {
				return err
			}
		case mt == "application/http":
			resp, err := http.ReadResponse(bufio.NewReader(p), nil)
			if err != nil {
				return fmt.Errorf("read $batch part: %w", err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("read $batch part body: %w", err)
			}
			*out = append(*out, batchResult{contentID: p.Header.Get("Content-ID"), status: resp.StatusCode, header: resp.Header, body: b})
		default:
			return fmt.Errorf("unexpected $batch part type %q", ct)
		}
	}
}
