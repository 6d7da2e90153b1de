package cleosim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A filter is a parsed SCIM filter expression, as Cleo's API takes them
// (alias eq "x", type eq "sftp", alias sw "d", joined with and): here
// comparisons eq ne sw ew co gt ge lt le, presence pr, and/or/not and
// parentheses. Attribute names are case-insensitive and may be dotted
// (edi.senderId, connection.alias).
type filter func(attrs map[string]any) bool

type ftoken struct {
	kind string // "word", "string", "(", ")"
	text string
}

func lexFilter(s string) ([]ftoken, error) {
	var out []ftoken
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')':
			out = append(out, ftoken{kind: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			out = append(out, ftoken{kind: "string", text: b.String()})
			i = j + 1
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && s[j] != '(' && s[j] != ')' && s[j] != '"' {
				j++
			}
			out = append(out, ftoken{kind: "word", text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// eqConjuncts returns the attr eq "value" comparisons of a filter that is
// only such comparisons and others joined with and (attribute names in
// lower case): every resource it matches has those values. A filter with
// or or not, or one that does not lex, gives ok false.
func eqConjuncts(expr string) (eq map[string]string, ok bool) {
	toks, err := lexFilter(expr)
	if err != nil || len(toks) == 0 {
		return nil, false
	}
	for _, t := range toks {
		if t.kind == "word" && (strings.EqualFold(t.text, "or") || strings.EqualFold(t.text, "not")) {
			return nil, false
		}
	}
	eq = map[string]string{}
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].kind == "word" && toks[i+1].kind == "word" && strings.EqualFold(toks[i+1].text, "eq") && toks[i+2].kind == "string" {
			eq[strings.ToLower(toks[i].text)] = toks[i+2].text
		}
	}
	return eq, len(eq) > 0
}

type fparser struct {
	toks []ftoken
	pos  int
}

func (p *fparser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.EqualFold(p.toks[p.pos].text, w)
}

// parseFilter parses expr; an empty expression matches everything.
func parseFilter(expr string) (filter, error) {
	if strings.TrimSpace(expr) == "" {
		return func(map[string]any) bool { return true }, nil
	}
	toks, err := lexFilter(expr)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %s %q", p.toks[p.pos].kind, p.toks[p.pos].text)
	}
	return f, nil
}

func (p *fparser) or() (filter, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekWord("or") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]any) bool { return a(m) || b(m) }
	}
	return l, nil
}

func (p *fparser) and() (filter, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peekWord("and") {
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(m map[string]any) bool { return a(m) && b(m) }
	}
	return l, nil
}

func (p *fparser) unary() (filter, error) {
	if p.peekWord("not") {
		p.pos++
		f, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(m map[string]any) bool { return !f(m) }, nil
	}
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "(" {
		p.pos++
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return f, nil
	}
	return p.comparison()
}

func (p *fparser) comparison() (filter, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("expression expected")
	}
	attr := p.toks[p.pos]
	if attr.kind != "word" || p.pos+1 >= len(p.toks) || p.toks[p.pos+1].kind != "word" {
		return nil, fmt.Errorf("attribute and operator expected near %q", attr.text)
	}
	name := strings.ToLower(attr.text)
	op := strings.ToLower(p.toks[p.pos+1].text)
	p.pos += 2
	if op == "pr" {
		return func(m map[string]any) bool {
			v, ok := m[name]
			return ok && v != nil && fmt.Sprint(v) != ""
		}, nil
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind == "(" || p.toks[p.pos].kind == ")" {
		return nil, fmt.Errorf("value expected after %s %s", attr.text, op)
	}
	val := p.toks[p.pos].text
	p.pos++
	switch op {
	case "eq", "ne", "sw", "ew", "co", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("unsupported operator %q", op)
	}
	return func(m map[string]any) bool {
		v, ok := m[name]
		if !ok {
			return op == "ne"
		}
		return compare(v, op, val)
	}, nil
}

// parseTime accepts ISO-8601 and the transfer log's yyyy/mm/dd hh:mm:ss (UTC).
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006/01/02 15:04:05", "2006-01-02T15:04:05", "2006-01-02", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func compare(v any, op, val string) bool {
	var c int
	switch x := v.(type) {
	case time.Time:
		t, ok := parseTime(val)
		if !ok {
			return false
		}
		c = x.Compare(t)
	case int64, int, float64:
		n, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return false
		}
		f, _ := strconv.ParseFloat(fmt.Sprint(x), 64)
		switch {
		case f < n:
			c = -1
		case f > n:
			c = 1
		}
	case bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false
		}
		if op == "ne" {
			return x != b
		}
		return op == "eq" && x == b
	default:
		s := fmt.Sprint(x)
		switch op {
		case "sw":
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(val))
		case "ew":
			return strings.HasSuffix(strings.ToLower(s), strings.ToLower(val))
		case "co":
			return strings.Contains(strings.ToLower(s), strings.ToLower(val))
		}
		c = strings.Compare(s, val)
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}
