package ifssim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
)

// batchState carries Content-ID references through a change set.
type batchState struct {
	ids     map[string]created
	created *created // set by a POST served inside the batch
}

type created struct {
	path string // resource path relative to the service root
	etag string
}

// resolveETag replaces "$n" with the ETag of the entity created by part n.
func (b *batchState) resolveETag(im string) string {
	if strings.HasPrefix(im, "$") {
		if c, ok := b.ids[im[1:]]; ok {
			return c.etag
		}
	}
	return im
}

// batchPart is one request of a $batch, parsed before anything runs.
type batchPart struct {
	contentID string
	method    string
	target    string // URL as written
	header    http.Header
	body      []byte
}

// batchItem is a top-level item: one request or one change set.
type batchItem struct {
	single    *batchPart
	changeSet []*batchPart
}

func (c *reqCtx) batchRequest(client string) *response {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return errResp(badRequest("$batch needs Content-Type multipart/mixed with a boundary"))
	}
	items, perr := readBatch(c.r.Body, params["boundary"])
	if perr != nil {
		return errResp(perr)
	}
	continueOnError := strings.Contains(c.r.Header.Get("Prefer"), "odata.continue-on-error")

	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	mw.SetBoundary("batchresponse_" + randomToken()[3:19])
	for _, it := range items {
		failed := false
		if it.single != nil {
			resp := c.runPart(it.single, client, &batchState{ids: map[string]created{}})
			writeHTTPPart(mw, resp, it.single.contentID)
			failed = resp.status >= 400
		} else {
			c.st.begin() // undo log of what the change set touches
			bs := &batchState{ids: map[string]created{}}
			var resps []*response
			var failure *response
			var failedID string
			for _, p := range it.changeSet {
				resp := c.runPart(p, client, bs)
				if resp.status >= 400 {
					failure, failedID = resp, p.contentID
					break
				}
				resps = append(resps, resp)
				if bs.created != nil && p.contentID != "" {
					bs.ids[p.contentID] = *bs.created
				}
				bs.created = nil
			}
			if failure != nil {
				c.st.rollback() // all or nothing
				writeHTTPPart(mw, failure, failedID)
				failed = true
			} else {
				c.st.commit()
				var cs bytes.Buffer
				cw := multipart.NewWriter(&cs)
				cw.SetBoundary("changesetresponse_" + randomToken()[3:19])
				for i, resp := range resps {
					writeHTTPPart(cw, resp, it.changeSet[i].contentID)
				}
				cw.Close()
				h := textproto.MIMEHeader{}
				h.Set("Content-Type", "multipart/mixed; boundary="+cw.Boundary())
				pw, _ := mw.CreatePart(h)
				pw.Write(cs.Bytes())
			}
		}
		if failed && !continueOnError {
			break
		}
	}
	mw.Close()
	h := http.Header{}
	h.Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	h.Set("OData-Version", "4.0")
	if continueOnError {
		h.Set("Preference-Applied", "odata.continue-on-error")
	}
	return &response{status: 200, header: h, body: out.Bytes()}
}

// runPart serves one batch request in-process.
func (c *reqCtx) runPart(p *batchPart, client string, bs *batchState) *response {
	target := p.target
	if strings.HasPrefix(target, "$") {
		ref, rest, _ := strings.Cut(target[1:], "/")
		cr, ok := bs.ids[ref]
		if !ok {
			return errResp(badRequest("Content-ID reference $%s is unknown", ref))
		}
		target = cr.path
		if rest != "" {
			target += "/" + rest
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return errResp(badRequest("bad URL %q in batch", p.target))
	}
	path := u.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		path = c.rt.base + path
	}
	rt, ok := parseRoot(path)
	if !ok {
		return errResp(notFound("No resource at %s", path))
	}
	if rt.service != c.rt.service {
		return errResp(badRequest("a batch request may only address its own service %s", c.rt.service))
	}
	req, _ := http.NewRequest(p.method, path+"?"+u.RawQuery, bytes.NewReader(p.body))
	req.Host = c.r.Host
	req.URL.RawQuery = u.RawQuery
	req.Header = p.header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", c.r.Header.Get("Accept"))
	}
	return c.s.serveOData(req, rt, client, bs)
}

func writeHTTPPart(mw *multipart.Writer, resp *response, contentID string) {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/http")
	h.Set("Content-Transfer-Encoding", "binary")
	if contentID != "" {
		h["Content-ID"] = []string{contentID} // OData spelling, not Content-Id
	}
	pw, _ := mw.CreatePart(h)
	fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	keys := make([]string, 0, len(resp.header))
	for k := range resp.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.header[k] {
			fmt.Fprintf(pw, "%s: %s\r\n", k, v)
		}
	}
	io.WriteString(pw, "\r\n")
	pw.Write(resp.body)
}

func readBatch(body io.Reader, boundary string) ([]batchItem, *odataError) {
	mr := multipart.NewReader(body, boundary)
	var items []batchItem
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badRequest("malformed multipart batch: %v", err)
		}
		mt, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch mt {
		case "application/http":
			p, perr := readHTTPPart(part)
			if perr != nil {
				return nil, perr
			}
			items = append(items, batchItem{single: p})
		case "multipart/mixed":
			cr := multipart.NewReader(part, params["boundary"])
			var cs []*batchPart
			for {
				inner, err := cr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, badRequest("malformed change set: %v", err)
				}
				p, perr := readHTTPPart(inner)
				if perr != nil {
					return nil, perr
				}
				if p.method == http.MethodGet {
					return nil, badRequest("GET is not allowed inside a change set")
				}
				cs = append(cs, p)
			}
			items = append(items, batchItem{changeSet: cs})
		default:
			return nil, badRequest("batch part has Content-Type %q; want application/http or multipart/mixed", mt)
		}
	}
	return items, nil
}

func readHTTPPart(part *multipart.Part) (*batchPart, *odataError) {
	if ct := part.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/http") {
		return nil, badRequest("change set part has Content-Type %q; want application/http", ct)
	}
	br := bufio.NewReader(part)
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, badRequest("batch part without a request line")
	}
	fs := strings.Fields(line)
	if len(fs) < 2 {
		return nil, badRequest("bad request line %q in batch", line)
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, badRequest("bad headers in batch part: %v", err)
	}
	body, _ := io.ReadAll(br)
	body = bytes.TrimRight(body, "\r\n")
	id := part.Header.Get("Content-ID")
	if id == "" {
		id = mh.Get("Content-ID")
	}
	return &batchPart{contentID: id, method: fs[0], target: fs[1], header: http.Header(mh), body: body}, nil
}
