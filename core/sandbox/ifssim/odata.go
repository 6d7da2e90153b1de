package ifssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// reqCtx is one OData request being served. The server lock is held.
type reqCtx struct {
	s      *Server
	st     *store
	sv     *service
	r      *http.Request
	rt     route
	ieee   bool
	origin string // scheme://host
	client string // IAM client id of the caller
	batch  *batchState
}

// target is what a resource path addresses.
type target struct {
	set    *entitySet
	et     *entityType
	keys   map[string]any // full key of a single entity; nil for a collection
	parent *row           // for navigations
	nav    *nav
	fk     map[string]any // child values implied by the parent
	count  bool           // /$count
	ctx    string         // @odata.context fragment
	path   string         // canonical resource path (for Location)
}

func (s *Server) serveOData(r *http.Request, rt route, client string, batch *batchState) *response {
	sv := s.model.services[rt.service]
	if sv == nil || !sv.onRoot(rt.root) {
		return errResp(&odataError{status: 404, code: "OBJECT_NOT_FOUND",
			message: fmt.Sprintf("Service %s.svc does not exist on this path", rt.service)})
	}
	if !s.granted(client, sv.name) {
		return errResp(&odataError{status: 403, code: "FORBIDDEN",
			message: fmt.Sprintf("You do not have access to projection %s. Grant it to the user through a permission set.", sv.name)})
	}
	c := &reqCtx{s: s, st: s.st, sv: sv, r: r, rt: rt, batch: batch, client: client}
	c.origin = "http://" + r.Host
	if r.TLS != nil {
		c.origin = "https://" + r.Host
	}
	c.ieee = strings.Contains(strings.ToLower(r.Header.Get("Accept")), "ieee754compatible=true") ||
		strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "ieee754compatible=true")
	if r.Header.Get("If-None-Match") != "" {
		return errResp(&odataError{status: 400, code: "ODP_NOT_IMPLEMENTED", message: "If-None-Match is not supported"})
	}
	switch rt.rest {
	case "":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r.Method)
		}
		return c.serviceDocument()
	case "$metadata":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r.Method)
		}
		return c.metadata()
	case "$batch":
		if batch != nil {
			return errResp(&odataError{status: 400, code: "BAD_REQUEST", message: "$batch cannot be nested"})
		}
		if r.Method != http.MethodPost {
			return methodNotAllowed(r.Method)
		}
		return c.batchRequest(client)
	}
	t, err := c.resolve(rt.rest)
	if err != nil {
		return errResp(err)
	}
	switch r.Method {
	case http.MethodGet:
		if t.keys != nil {
			return c.getEntity(t)
		}
		return c.getCollection(t)
	case http.MethodPost:
		if t.keys != nil || t.count {
			return methodNotAllowed(r.Method)
		}
		return c.post(t)
	case http.MethodPatch, http.MethodPut:
		if t.keys == nil {
			return methodNotAllowed(r.Method)
		}
		return c.patch(t)
	case http.MethodDelete:
		if t.keys == nil {
			return methodNotAllowed(r.Method)
		}
		return c.delete(t)
	}
	return methodNotAllowed(r.Method)
}

func methodNotAllowed(m string) *response {
	return errResp(&odataError{status: 405, code: "METHOD_NOT_ALLOWED", message: "Method " + m + " is not allowed on this resource"})
}

func notFound(format string, args ...any) *odataError {
	return &odataError{status: 404, code: "OBJECT_NOT_FOUND", message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *odataError {
	return &odataError{status: 400, code: "BAD_REQUEST", message: fmt.Sprintf(format, args...)}
}

// resolve parses Set[(keys)][/Nav[(keys)]][/$count].
func (c *reqCtx) resolve(rest string) (*target, *odataError) {
	rawSegs := strings.Split(rest, "/")
	segs := make([]string, len(rawSegs))
	for i, s := range rawSegs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, badRequest("bad path segment %q", s)
		}
		segs[i] = u
	}
	t := &target{}
	name, keyText, hasKey, err := splitSegment(segs[0])
	if err != nil {
		return nil, err
	}
	t.set = c.sv.set(name)
	if t.set == nil {
		return nil, notFound("Entity set %s does not exist in %s", name, c.sv.name)
	}
	t.et = t.set.et
	t.ctx, t.path = name, name
	if hasKey {
		keys, err := c.parseKeys(keyText, t.et, nil)
		if err != nil {
			return nil, err
		}
		t.keys = keys
		t.ctx += "/$entity"
		t.path = name + "(" + c.keyString(t.et, keys) + ")"
	}
	segs = segs[1:]
	if len(segs) > 0 && segs[0] != "$count" {
		if t.keys == nil {
			return nil, badRequest("navigation %s needs a keyed parent", segs[0])
		}
		parent := c.find(t.et, t.keys)
		if parent == nil {
			return nil, notFound("%s(%s) does not exist", name, c.keyString(t.et, t.keys))
		}
		nname, nkey, nHasKey, err := splitSegment(segs[0])
		if err != nil {
			return nil, err
		}
		n := t.et.nav(nname)
		if n == nil {
			if strings.HasPrefix(nname, "IfsApp.") {
				return nil, notImplemented("Action %s is not available in the sandbox", nname)
			}
			return nil, notFound("Navigation %s does not exist on %s", nname, t.et.name)
		}
		fk := map[string]any{}
		for _, pair := range n.fk {
			fk[pair[1]] = parent.v[pair[0]]
		}
		parentPath := t.path
		t = &target{set: t.set, et: n.target, parent: parent, nav: n, fk: fk,
			ctx: parentPath + "/" + nname, path: parentPath + "/" + nname}
		if nHasKey {
			keys, err := c.parseKeys(nkey, n.target, fk)
			if err != nil {
				return nil, err
			}
			t.keys = keys
			t.ctx += "/$entity"
			t.path += "(" + c.keyString(n.target, keys) + ")"
		}
		segs = segs[1:]
	}
	if len(segs) > 0 {
		if segs[0] != "$count" || len(segs) > 1 || t.keys != nil {
			return nil, notFound("No resource at %s", rest)
		}
		t.count = true
	}
	return t, nil
}

// splitSegment splits "Name(keys)" into its parts.
func splitSegment(seg string) (name, keys string, hasKey bool, err *odataError) {
	i := strings.IndexByte(seg, '(')
	if i < 0 {
		return seg, "", false, nil
	}
	if !strings.HasSuffix(seg, ")") {
		return "", "", false, badRequest("malformed key in %q", seg)
	}
	return seg[:i], seg[i+1 : len(seg)-1], true, nil
}

// parseKeys reads a key predicate. fk holds key values implied by a parent;
// the predicate may repeat them (with equal values) or leave them out.
func (c *reqCtx) parseKeys(text string, et *entityType, fk map[string]any) (map[string]any, *odataError) {
	parts, err := splitKeyParts(text)
	if err != nil {
		return nil, err
	}
	keys := map[string]any{}
	for k, v := range fk {
		if et.isKey(k) {
			keys[k] = v
		}
	}
	var own []string
	for _, k := range et.keys {
		if _, ok := keys[k]; !ok {
			own = append(own, k)
		}
	}
	for _, p := range parts {
		name, val, named := "", p, false
		if i := keyEquals(p); i >= 0 {
			name, val, named = strings.TrimSpace(p[:i]), strings.TrimSpace(p[i+1:]), true
		}
		if !named {
			if len(parts) != 1 || len(own) != 1 {
				return nil, badRequest("key predicate (%s) must name its key properties", text)
			}
			name = own[0]
		}
		if !et.isKey(name) {
			return nil, badRequest("%s is not a key property of %s", name, et.name)
		}
		pr := et.prop(name)
		v, err := c.keyLiteral(val, pr)
		if err != nil {
			return nil, err
		}
		if old, ok := keys[name]; ok && fk != nil {
			if !valueEqual(old, v) {
				return nil, badRequest("key %s does not match the parent", name)
			}
			continue
		} else if ok {
			return nil, badRequest("key %s given twice", name)
		}
		keys[name] = v
	}
	if len(keys) != len(et.keys) {
		return nil, badRequest("key predicate (%s) must give all keys of %s: %s", text, et.name, strings.Join(et.keys, ", "))
	}
	return keys, nil
}

// keyEquals finds the '=' of "Name=value" outside quotes.
func keyEquals(p string) int {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\'':
			return -1
		case '=':
			return i
		}
	}
	return -1
}

func splitKeyParts(text string) ([]string, *odataError) {
	var parts []string
	start, inStr := 0, false
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\'':
			inStr = !inStr // a doubled quote toggles twice
		case ',':
			if !inStr {
				parts = append(parts, text[start:i])
				start = i + 1
			}
		}
	}
	if inStr {
		return nil, badRequest("unterminated string in key (%s)", text)
	}
	parts = append(parts, text[start:])
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, badRequest("empty key in (%s)", text)
		}
	}
	return parts, nil
}

func (c *reqCtx) keyLiteral(val string, pr *prop) (any, *odataError) {
	switch pr.typ {
	case tString:
		if len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
			return nil, badRequest("key %s is a string and must be quoted: %s='...'", pr.name, pr.name)
		}
		v, n, ok := lexString(val)
		if !ok || n != len(val) {
			return nil, badRequest("bad string literal %s for key %s (quotes are escaped by doubling)", val, pr.name)
		}
		return v, nil
	case tInt:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return nil, badRequest("key %s is numeric and must not be quoted: %s", pr.name, val)
		}
		return n, nil
	case tEnum:
		toks, err := lex(val)
		if err != nil || len(toks) != 2 || toks[0].kind != "enum" {
			return nil, badRequest("key %s is an enumeration: use %s.%s'Value'", pr.name, c.sv.namespace(), pr.enum)
		}
		l := toks[0].lit
		if l.ns != c.sv.namespace() || l.enum != pr.enum {
			return nil, badRequest("enum literal type %s.%s does not match %s.%s", l.ns, l.enum, c.sv.namespace(), pr.enum)
		}
		return l.v, nil
	}
	return nil, badRequest("key %s has an unsupported type", pr.name)
}

// keyString renders keys in URL form.
func (c *reqCtx) keyString(et *entityType, keys map[string]any) string {
	var parts []string
	for _, k := range et.keys {
		parts = append(parts, k+"="+literal(keys[k], et.prop(k), c.sv))
	}
	return strings.Join(parts, ",")
}

func literal(v any, p *prop, sv *service) string {
	switch x := v.(type) {
	case string:
		if p != nil && p.typ == tEnum {
			return sv.namespace() + "." + p.enum + "'" + strings.ReplaceAll(x, "'", "''") + "'"
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// rows returns the rows a target's collection holds.
func (c *reqCtx) rows(t *target) []*row {
	all := c.st.tables[t.et.table]
	if t.fk != nil {
		if rows, ok := c.st.lookup(t.et.table, t.fk); ok {
			all = rows
		}
	}
	var out []*row
	for _, r := range all {
		if t.et.subset != nil && !t.et.subset(r) {
			continue
		}
		if t.fk != nil && !rowMatches(r, t.fk) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// filtered is rows(t), narrowed through an index when the filter is a
// conjunction that fixes key or indexed columns (OrderNo eq 'P1' and …,
// Company eq 'X' and InvoiceNo eq 'Y' …). The filter is still applied to
// what it returns.
func (c *reqCtx) filtered(t *target, f expr) []*row {
	if t.fk == nil && f != nil {
		eq := map[string]any{}
		eqConjuncts(f, eq)
		table := t.et.table
		for col := range eq {
			if !slices.Contains(c.st.keyCols[table], col) && !slices.Contains(secondaryCols[table], col) {
				delete(eq, col)
			}
		}
		if rows, ok := c.st.lookup(table, eq); ok {
			var out []*row
			for _, r := range rows {
				if t.et.subset == nil || t.et.subset(r) {
					out = append(out, r)
				}
			}
			return out
		}
	}
	return c.rows(t)
}

// eqConjuncts collects, from the and-ed terms of f, each "property eq
// string literal" (either side), by property name.
func eqConjuncts(f expr, into map[string]any) {
	b, ok := f.(binExpr)
	if !ok {
		return
	}
	switch b.op {
	case "and":
		eqConjuncts(b.l, into)
		eqConjuncts(b.r, into)
	case "eq":
		p, l := b.l, b.r
		if _, ok := p.(propRef); !ok {
			p, l = l, p
		}
		pr, ok1 := p.(propRef)
		li, ok2 := l.(lit)
		if ok1 && ok2 && li.typ == tString {
			if s, ok := li.v.(string); ok {
				into[pr.p.name] = s
			}
		}
	}
}

func (c *reqCtx) find(et *entityType, keys map[string]any) *row {
	all := c.st.tables[et.table]
	if rows, ok := c.st.lookup(et.table, keys); ok {
		all = rows
	}
	for _, r := range all {
		if et.subset != nil && !et.subset(r) {
			continue
		}
		if rowMatches(r, keys) {
			return r
		}
	}
	return nil
}

// ---- reads ----

type queryOpts struct {
	filter  expr
	sel     []string
	orderby []orderKey
	top     int // -1: none
	skip    int
	count   bool
	token   int // $skiptoken: rows already delivered after $skip
}

type orderKey struct {
	p    *prop
	desc bool
}

func (c *reqCtx) parseQuery(et *entityType, single bool) (*queryOpts, *odataError) {
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("bad query string: %v", err)
	}
	o := &queryOpts{top: -1}
	for name, vals := range q {
		if !strings.HasPrefix(name, "$") {
			continue
		}
		v := vals[0]
		if single && name != "$select" && name != "$expand" && name != "$format" {
			return nil, badRequest("%s is not allowed on a single entity", name)
		}
		switch name {
		case "$filter":
			f, err := parseFilter(v, et, c.sv, &c.s.cfg)
			if err != nil {
				return nil, err
			}
			o.filter = f
		case "$select":
			for _, f := range strings.Split(v, ",") {
				f = strings.TrimSpace(f)
				if f == "*" {
					o.sel = nil
					break
				}
				if et.prop(f) == nil {
					return nil, badRequest("$select: unknown property %s on %s", f, et.name)
				}
				o.sel = append(o.sel, f)
			}
		case "$orderby":
			for _, f := range strings.Split(v, ",") {
				fs := strings.Fields(f)
				if len(fs) == 0 || len(fs) > 2 || len(fs) == 2 && fs[1] != "asc" && fs[1] != "desc" {
					return nil, badRequest("$orderby: cannot parse %q", f)
				}
				p := et.prop(fs[0])
				if p == nil {
					return nil, badRequest("$orderby: unknown property %s on %s", fs[0], et.name)
				}
				o.orderby = append(o.orderby, orderKey{p, len(fs) == 2 && fs[1] == "desc"})
			}
		case "$top", "$skip", "$skiptoken":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, badRequest("%s must be a non-negative integer", name)
			}
			switch name {
			case "$top":
				o.top = n
			case "$skip":
				o.skip = n
			default:
				o.token = n
			}
		case "$count":
			switch v {
			case "true":
				o.count = true
			case "false":
			default:
				return nil, badRequest("$count must be true or false")
			}
		case "$expand":
			// The first item decides: the sandbox expands nothing.
			f, _, _ := strings.Cut(v, ",")
			f = strings.TrimSpace(f)
			if i := strings.IndexByte(f, '('); i >= 0 {
				f = f[:i]
			}
			if et.nav(f) != nil {
				return nil, notImplemented("Expanding the collection-valued navigation %s is not supported", f)
			}
			return nil, badRequest("$expand: %s is not a navigation property of %s", f, et.name)
		case "$format":
			if v != "json" && !strings.HasPrefix(v, "application/json") {
				return nil, badRequest("$format %s is not supported", v)
			}
		case "$apply", "$search", "$compute", "$levels":
			return nil, notImplemented("%s is not supported by the sandbox", name)
		default:
			return nil, badRequest("unknown system query option %s", name)
		}
	}
	return o, nil
}

func (c *reqCtx) getCollection(t *target) *response {
	o, err := c.parseQuery(t.et, false)
	if err != nil {
		return errResp(err)
	}
	var rows []*row
	for _, r := range c.filtered(t, o.filter) {
		if o.filter == nil || truthy(eval(o.filter, r)) {
			rows = append(rows, r)
		}
	}
	if t.count {
		h := http.Header{}
		h.Set("Content-Type", "text/plain")
		h.Set("OData-Version", "4.0")
		return &response{status: 200, header: h, body: []byte(strconv.Itoa(len(rows)))}
	}
	order := o.orderby
	if len(order) == 0 { // the instance's stable default: key order, ascending or descending
		for _, k := range t.et.keys {
			order = append(order, orderKey{p: t.et.prop(k), desc: *c.s.cfg.UnorderedDesc})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range order {
			cv, _ := cmpValues(rows[i].v[k.p.name], rows[j].v[k.p.name])
			if cv != 0 {
				return cv < 0 != k.desc
			}
		}
		return false
	})
	total := len(rows)
	rows = window(rows, o.skip, o.top)
	start := o.token
	if start > len(rows) {
		start = len(rows)
	}
	page := rows[start:]
	more := false
	size, applied := c.s.cfg.PageSize, 0
	if n := preferredPageSize(c.r.Header); n > 0 && n < size {
		// Protocol §8.2.8.3: odata.maxpagesize asks for smaller pages; a
		// server may honour it and says so in Preference-Applied.
		size, applied = n, n
	}
	if len(page) > size {
		page, more = page[:size], true
	}
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":`)
	writeJSONString(&b, c.contextURL("#"+t.ctx))
	if o.count {
		fmt.Fprintf(&b, `,"@odata.count":%d`, total)
	}
	b.WriteString(`,"value":[`)
	for i, r := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		c.writeRow(&b, t.et, r, o.sel)
	}
	b.WriteByte(']')
	if more {
		q := c.r.URL.Query()
		if c.s.cfg.Links.SkipPaging {
			// The same window expressed as $skip/$top: rows already
			// delivered move from the page into $skip.
			done := start + len(page)
			q.Del("$skiptoken")
			q.Set("$skip", strconv.Itoa(o.skip+done))
			if o.top >= 0 {
				q.Set("$top", strconv.Itoa(o.top-done))
			}
		} else {
			q.Set("$skiptoken", strconv.Itoa(start+len(page)))
		}
		b.WriteString(`,"@odata.nextLink":`)
		writeJSONString(&b, c.nextLink(encodeQuery(q)))
	}
	b.WriteByte('}')
	resp := c.jsonResp(200, b.Bytes())
	if applied > 0 {
		resp.header.Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(applied))
	}
	return resp
}

// preferredPageSize reads odata.maxpagesize from the Prefer header (0: none).
func preferredPageSize(h http.Header) int {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n > 0 {
					return n
				}
			}
		}
	}
	return 0
}

// encodeQuery writes a query string keeping "$" and "," readable, as IFS does.
func encodeQuery(q url.Values) string {
	s := q.Encode()
	s = strings.ReplaceAll(s, "%24", "$")
	return strings.ReplaceAll(s, "%2C", ",")
}

func window(rows []*row, skip, top int) []*row {
	if skip >= len(rows) {
		return nil
	}
	rows = rows[skip:]
	if top >= 0 && top < len(rows) {
		rows = rows[:top]
	}
	return rows
}

func (c *reqCtx) getEntity(t *target) *response {
	o, err := c.parseQuery(t.et, true)
	if err != nil {
		return errResp(err)
	}
	r := c.find(t.et, t.keys)
	if r == nil {
		return errResp(notFound("%s(%s) does not exist", t.et.name, c.keyString(t.et, t.keys)))
	}
	resp := c.entityResp(200, t, r, o.sel)
	if t.et.update && c.batch == nil && c.s.concurrentEdit() {
		c.concurrentChange(t.et, r)
	}
	return resp
}

// concurrentChange is another user saving the record: a new Objversion and
// a visible change of a harmless field.
func (c *reqCtx) concurrentChange(et *entityType, r *row) {
	before := r.clone()
	for _, f := range []string{"VoucherText", "Text", "BuyerCode", "Description"} {
		if p, ok := r.v[f]; ok || f == "VoucherText" && r.v["InvoiceNo"] != nil {
			s, _ := p.(string)
			r.v[f] = strings.TrimSuffix(s, " (edited)") + " (edited)"
			break
		}
	}
	c.st.touch(r)
	c.s.logHistory(c.st, et, r, "OTHERUSER", diffRows(et, before, r))
}

func (c *reqCtx) entityResp(status int, t *target, r *row, sel []string) *response {
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":`)
	ctx := t.ctx
	if !strings.HasSuffix(ctx, "/$entity") {
		ctx += "/$entity"
	}
	writeJSONString(&b, c.contextURL("#"+ctx))
	b.WriteByte(',')
	inner := bytes.Buffer{}
	c.writeRow(&inner, t.et, r, sel)
	b.Write(inner.Bytes()[1:])
	resp := c.jsonResp(status, b.Bytes())
	resp.header.Set("ETag", c.etag(r))
	return resp
}

func (c *reqCtx) jsonResp(status int, body []byte) *response {
	h := http.Header{}
	ct := "application/json;odata.metadata=minimal"
	if c.ieee {
		ct += ";IEEE754Compatible=true"
	}
	h.Set("Content-Type", ct)
	h.Set("OData-Version", "4.0")
	return &response{status: status, header: h, body: body}
}

// etag is W/" + base64(W/"<Objid>:<Objversion>") + ".
func (c *reqCtx) etag(r *row) string {
	inner := `W/"` + r.objid + ":" + c.st.objversion(r) + `"`
	return `W/"` + base64.StdEncoding.EncodeToString([]byte(inner)) + `"`
}

func (c *reqCtx) keyref(et *entityType, r *row) string {
	var b strings.Builder
	for _, k := range et.keys {
		b.WriteString(dbColumn(k))
		b.WriteByte('=')
		switch v := r.v[k].(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			fmt.Fprint(&b, v)
		}
		b.WriteByte('^')
	}
	return b.String()
}

// writeRow writes the IFS row envelope and the properties.
func (c *reqCtx) writeRow(b *bytes.Buffer, et *entityType, r *row, sel []string) {
	b.WriteString(`{"@odata.etag":`)
	writeJSONString(b, c.etag(r))
	b.WriteString(`,"luname":`)
	writeJSONString(b, et.luname)
	b.WriteString(`,"keyref":`)
	writeJSONString(b, c.keyref(et, r))
	b.WriteString(`,"Objgrants":null`)
	want := func(name string) bool {
		if sel == nil {
			return true
		}
		for _, s := range sel {
			if s == name {
				return true
			}
		}
		return false
	}
	if et.prop("Objstate") != nil && want("Objstate") {
		b.WriteString(`,"Objstate":`)
		writeJSONString(b, r.str("Objstate"))
	}
	for _, p := range et.props {
		if p.name == "Objstate" || !want(p.name) {
			continue
		}
		b.WriteByte(',')
		writeJSONString(b, p.name)
		b.WriteByte(':')
		v := r.v[p.name]
		if p.name == "ProposalBalance" && et.table == tabInvoice {
			v = c.balance(r)
		}
		c.writeValue(b, p, v)
	}
	b.WriteByte('}')
}

// balance is the posting-proposal balance: postings minus the net amount.
func (c *reqCtx) balance(inv *row) money.Decimal {
	sum := money.Zero
	parent := map[string]any{"Company": inv.v["Company"], "InvoiceId": inv.v["InvoiceId"]}
	postings, ok := c.st.lookup(tabPosting, parent)
	if !ok {
		postings = c.st.tables[tabPosting]
	}
	for _, p := range postings {
		if rowMatches(p, parent) {
			sum = sum.Add(p.dec("CurrAmount"))
		}
	}
	return sum.Sub(inv.dec("NetCurrAmount"))
}

func (c *reqCtx) writeValue(b *bytes.Buffer, p prop, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case money.Decimal:
		if c.ieee {
			b.WriteByte('"')
			b.WriteString(x.String())
			b.WriteByte('"')
		} else {
			b.WriteString(x.String())
		}
	case int64:
		if c.ieee {
			fmt.Fprintf(b, `"%d"`, x)
		} else {
			fmt.Fprintf(b, "%d", x)
		}
	case time.Time:
		if p.typ == tDate {
			writeJSONString(b, x.Format("2006-01-02"))
		} else {
			writeJSONString(b, x.UTC().Format(time.RFC3339))
		}
	case bool:
		fmt.Fprint(b, x)
	default:
		b.WriteString("null")
	}
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

// ---- writes ----

var systemFields = map[string]bool{"luname": true, "keyref": true, "Objgrants": true, "Objid": true,
	"Objversion": true, "Objkey": true, "Objevents": true, "Objstate": true}

// decodeBody reads a JSON entity body into typed values. insert selects
// POST rules (server-generated keys rejected); otherwise key fields are dropped.
func (c *reqCtx) decodeBody(et *entityType, insert bool) (map[string]any, *odataError) {
	raw, err := io.ReadAll(io.LimitReader(c.r.Body, 8<<20))
	if err != nil {
		return nil, badRequest("cannot read body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, badRequest("the body must be a JSON object")
	}
	out := map[string]any{}
	for k, v := range m {
		switch {
		case k == "@odata.type":
			continue
		case strings.HasPrefix(k, "@odata.") || systemFields[k]:
			return nil, badRequest("The property '%s' is a system field and cannot be set", k)
		}
		p := et.prop(k)
		if p == nil {
			return nil, badRequest("The property '%s' does not exist on type 'IfsApp.%s.%s'", k, c.sv.name, et.name)
		}
		if p.readOnly {
			return nil, badRequest("The property '%s' is read-only", k)
		}
		if insert && k == et.genKey {
			return nil, badRequest("The key property '%s' is assigned by the server and cannot be set", k)
		}
		if !insert && et.isKey(k) {
			continue // keys come from the URL
		}
		val, perr := c.convert(p, v)
		if perr != nil {
			return nil, perr
		}
		out[k] = val
	}
	return out, nil
}

func (c *reqCtx) convert(p *prop, v any) (any, *odataError) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, *odataError) {
		return nil, badRequest("The value for property '%s' is not a valid %s", p.name, p.typ.edm())
	}
	switch p.typ {
	case tString:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		return s, nil
	case tEnum:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if e, ok := c.sv.enums[p.enum]; ok && !e.has(s) {
			return nil, badRequest("'%s' is not a valid value of %s.%s", s, c.sv.namespace(), p.enum)
		}
		return s, nil
	case tDecimal:
		var txt string
		switch x := v.(type) {
		case json.Number:
			txt = x.String()
		case string:
			txt = x
		default:
			return bad()
		}
		d, err := money.Parse(txt)
		if err != nil {
			return bad()
		}
		return d, nil
	case tInt:
		var txt string
		switch x := v.(type) {
		case json.Number:
			txt = x.String()
		case string:
			txt = x
		default:
			return bad()
		}
		n, err := strconv.ParseInt(txt, 10, 64)
		if err != nil {
			return bad()
		}
		return n, nil
	case tDate:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return bad()
		}
		return t, nil
	case tDateTime:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return bad()
		}
		return t.UTC(), nil
	case tBool:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	}
	return bad()
}

func (c *reqCtx) post(t *target) *response {
	if !t.et.insert {
		return methodNotAllowed("POST")
	}
	vals, err := c.decodeBody(t.et, true)
	if err != nil {
		return errResp(err)
	}
	for k, v := range t.fk {
		if old, ok := vals[k]; ok && !valueEqual(old, v) {
			return errResp(badRequest("%s in the body does not match the parent in the URL", k))
		}
		vals[k] = v
	}
	if err := c.invoiceLocked(t.et, vals); err != nil {
		return errResp(err)
	}
	if g := t.et.genKey; g != "" {
		vals[g] = c.nextKey(t)
	}
	for _, k := range t.et.keys {
		if vals[k] == nil {
			return errResp(dbError(20115, t.et.luname, "MANDATORY", "Field [%s] is mandatory.", k))
		}
	}
	keys := map[string]any{}
	for _, k := range t.et.keys {
		keys[k] = vals[k]
	}
	if c.find(t.et, keys) != nil {
		return errResp(dbError(20112, t.et.luname, "EXIST", "The object already exists."))
	}
	r := &row{v: vals}
	if t.et.validate != nil {
		if err := t.et.validate(c.s, c.st, r, true); err != nil {
			return errResp(err)
		}
	}
	nr := c.st.newRow(t.et.table, r.v)
	if g := t.et.genKey; g != "" && t.fk == nil {
		c.st.seq[t.et.table] = vals[g].(int64)
	}
	et := *t
	et.keys = keys
	et.ctx = t.set.name + "/$entity"
	if t.nav != nil {
		et.ctx = strings.TrimSuffix(t.ctx, "/$entity") + "/$entity"
	}
	et.path = t.path + "(" + c.keyString(t.et, keys) + ")"
	resp := c.entityResp(201, &et, nr, nil)
	resp.header.Set("Location", c.origin+c.rt.base+et.path)
	if c.batch != nil {
		c.batch.created = &created{path: et.path, etag: resp.header.Get("ETag")}
	}
	return resp
}

// nextKey is the next server-generated key: a global sequence for headers,
// 1, 2, 3 … within the parent for children.
func (c *reqCtx) nextKey(t *target) int64 {
	g := t.et.genKey
	if t.fk == nil {
		return c.st.seq[t.et.table] + 1
	}
	var max int64
	for _, r := range c.rows(t) {
		if n := r.int(g); n > max {
			max = n
		}
	}
	return max + 1
}

// ifMatch checks the If-Match header against r. ok false means send resp.
func (c *reqCtx) ifMatch(r *row) (present bool, resp *response) {
	im := c.r.Header.Get("If-Match")
	if im == "" {
		return false, nil
	}
	if c.batch != nil {
		im = c.batch.resolveETag(im)
	}
	if im == "*" {
		return true, nil
	}
	for _, tag := range strings.Split(im, ",") {
		if strings.TrimSpace(tag) == c.etag(r) {
			return true, nil
		}
	}
	return true, errResp(&odataError{status: 412, code: "ETAG_MISMATCH",
		message: "The record has been modified by another user. Refresh and try again."})
}

func (c *reqCtx) patch(t *target) *response {
	recordPatch(c.r.Method+" "+t.path, c.r.Header.Get("If-Match"))
	if !t.et.update {
		return methodNotAllowed(c.r.Method)
	}
	vals, err := c.decodeBody(t.et, false)
	if err != nil {
		return errResp(err)
	}
	r := c.find(t.et, t.keys)
	if r == nil {
		if c.r.Header.Get("If-Match") != "" || !t.et.insert {
			return errResp(notFound("%s(%s) does not exist", t.et.name, c.keyString(t.et, t.keys)))
		}
		// Upsert: IFS inserts when PATCH has no If-Match, keys from the URL.
		for k, v := range t.keys {
			vals[k] = v
		}
		nr := &row{v: vals}
		if t.et.validate != nil {
			if err := t.et.validate(c.s, c.st, nr, true); err != nil {
				return errResp(err)
			}
		}
		stored := c.st.newRow(t.et.table, nr.v)
		if g := t.et.genKey; g != "" && t.fk == nil && vals[g].(int64) > c.st.seq[t.et.table] {
			c.st.seq[t.et.table] = vals[g].(int64)
		}
		resp := c.entityResp(201, t, stored, nil)
		resp.header.Set("Location", c.origin+c.rt.base+t.path)
		return resp
	}
	if _, resp := c.ifMatch(r); resp != nil {
		return resp
	}
	// The "already sent" marker of a self-billing invoice is set after the
	// invoice is final, so it alone may change on a posted invoice [I].
	onlyMarker := t.et.table == tabInvoice && len(vals) == 1 && vals["EdiSent"] != nil
	if err := c.invoiceLocked(t.et, r.v); err != nil && !onlyMarker {
		return errResp(err)
	}
	c.st.willChangeRow(r)
	backup := r.clone()
	for k, v := range vals {
		r.v[k] = v
	}
	if t.et.validate != nil {
		if err := t.et.validate(c.s, c.st, r, false); err != nil {
			r.v = backup.v
			return errResp(err)
		}
	}
	c.st.reindex(t.et.table, r, backup.v)
	c.st.touch(r)
	c.s.logHistory(c.st, t.et, r, c.client, diffRows(t.et, backup, r))
	if strings.Contains(c.r.Header.Get("Prefer"), "return=representation") {
		resp := c.entityResp(200, t, r, nil)
		resp.header.Set("Preference-Applied", "return=representation")
		return resp
	}
	h := http.Header{}
	h.Set("OData-Version", "4.0")
	h.Set("ETag", c.etag(r))
	return &response{status: 204, header: h}
}

func (c *reqCtx) delete(t *target) *response {
	if !t.et.delete {
		return methodNotAllowed("DELETE")
	}
	r := c.find(t.et, t.keys)
	if r == nil {
		return errResp(notFound("%s(%s) does not exist", t.et.name, c.keyString(t.et, t.keys)))
	}
	// The reference has If-Match on every DELETE and is silent about a
	// DELETE without one (its "428 not applicable" is about PATCH, where a
	// missing If-Match means upsert). A DELETE has no upsert reading, so
	// the sandbox refuses it as HTTP does for a missing precondition [I].
	present, resp := c.ifMatch(r)
	if resp != nil {
		return resp
	}
	if !present {
		return errResp(&odataError{status: 428, code: "PRECONDITION_REQUIRED",
			message: "DELETE needs If-Match with the record's ETag (or * to skip the check)"})
	}
	if t.et.table == tabItem || t.et.table == tabPosting {
		if err := c.invoiceLocked(t.et, r.v); err != nil {
			return errResp(err)
		}
	}
	if t.et.table == tabInvoice {
		if st := r.str("Objstate"); st != "Preliminary" {
			return errResp(dbError(20110, "ManSuppInvoice", "DELNOTALLOWED",
				"Invoice %d cannot be removed in state %s; only Preliminary invoices can.", r.int("InvoiceId"), st))
		}
	}
	c.removeRow(t.et, r)
	h := http.Header{}
	h.Set("OData-Version", "4.0")
	return &response{status: 204, header: h}
}

// removeRow deletes r and, for a parent, its children. It ticks the clock,
// as every committed write does.
func (c *reqCtx) removeRow(et *entityType, r *row) {
	c.st.clock++
	delete(c.st.indexes, et.table)
	for _, n := range et.navs {
		fk := map[string]any{}
		for _, pair := range n.fk {
			fk[pair[1]] = r.v[pair[0]]
		}
		c.st.willChangeTable(n.target.table)
		delete(c.st.indexes, n.target.table)
		var kept []*row // a new slice: an open change set may still need the old one
		for _, ch := range c.st.tables[n.target.table] {
			if !rowMatches(ch, fk) {
				kept = append(kept, ch)
			}
		}
		c.st.tables[n.target.table] = kept
	}
	c.st.willChangeTable(et.table)
	rows := c.st.tables[et.table]
	for i, x := range rows {
		if x == r {
			c.st.tables[et.table] = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
}

// ---- service document and metadata ----

func (c *reqCtx) serviceDocument() *response {
	type entry struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
		URL  string `json:"url"`
	}
	var v []entry
	for _, s := range c.sv.sets {
		v = append(v, entry{s.name, "EntitySet", s.name})
	}
	b, _ := json.Marshal(map[string]any{"@odata.context": c.contextURL(""), "value": v})
	return c.jsonResp(200, b)
}

func (c *reqCtx) metadata() *response {
	var b bytes.Buffer
	ns := c.sv.namespace()
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>`)
	fmt.Fprintf(&b, `<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="%s">`, ns)
	var enumNames []string
	for n := range c.sv.enums {
		enumNames = append(enumNames, n)
	}
	sort.Strings(enumNames)
	for _, n := range enumNames {
		fmt.Fprintf(&b, `<EnumType Name="%s">`, n)
		for i, m := range c.sv.enums[n].members {
			fmt.Fprintf(&b, `<Member Name="%s" Value="%d"/>`, m, i)
		}
		b.WriteString(`</EnumType>`)
	}
	seen := map[string]bool{}
	var writeType func(et *entityType)
	writeType = func(et *entityType) {
		if seen[et.name] {
			return
		}
		seen[et.name] = true
		fmt.Fprintf(&b, `<EntityType Name="%s"><Key>`, et.name)
		for _, k := range et.keys {
			fmt.Fprintf(&b, `<PropertyRef Name="%s"/>`, k)
		}
		b.WriteString(`</Key>`)
		b.WriteString(`<Property Name="luname" Type="Edm.String"/><Property Name="keyref" Type="Edm.String"/><Property Name="Objgrants" Type="Edm.String"/>`)
		for _, p := range et.props {
			typ := p.typ.edm()
			if p.typ == tEnum {
				typ = ns + "." + p.enum
			}
			nullable := ""
			if et.isKey(p.name) {
				nullable = ` Nullable="false"`
			}
			fmt.Fprintf(&b, `<Property Name="%s" Type="%s"%s/>`, p.name, typ, nullable)
		}
		for _, n := range et.navs {
			fmt.Fprintf(&b, `<NavigationProperty Name="%s" Type="Collection(%s.%s)"/>`, n.name, ns, n.target.name)
		}
		b.WriteString(`</EntityType>`)
		for _, n := range et.navs {
			writeType(n.target)
		}
	}
	for _, s := range c.sv.sets {
		writeType(s.et)
	}
	b.WriteString(`<EntityContainer Name="Default">`)
	for _, s := range c.sv.sets {
		fmt.Fprintf(&b, `<EntitySet Name="%s" EntityType="%s.%s"/>`, s.name, ns, s.et.name)
	}
	b.WriteString(`</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`)
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	h.Set("OData-Version", "4.0")
	return &response{status: 200, header: h, body: b.Bytes()}
}

// invoiceLocked refuses a change to an invoice header, line or posting row
// once the invoice has left Preliminary: approved or posted invoices are
// changed in IFS by credit notes, not edits.
func (c *reqCtx) invoiceLocked(et *entityType, v map[string]any) *odataError {
	if et.table != tabInvoice && et.table != tabItem && et.table != tabPosting {
		return nil
	}
	inv := findRow(c.st, tabInvoice, map[string]any{"Company": v["Company"], "InvoiceId": v["InvoiceId"]})
	if inv == nil {
		return nil
	}
	if st := inv.str("Objstate"); st != "" && st != "Preliminary" {
		return dbError(20110, "ManSuppInvoice", "NOTPRELIMINARY",
			"Invoice %d is %s: it can no longer be changed (only Preliminary invoices can).", inv.int("InvoiceId"), st)
	}
	return nil
}
