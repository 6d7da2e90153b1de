package ifssim

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// The $filter language the IFS OData provider accepts (reference §1.4):
// comparisons, and/or/not, parentheses, add/sub/mul/div, string functions,
// string/number/date/timestamp literals and qualified enum literals. Lambda
// operators, has, mod, math functions and $count are refused with 400, as
// IFS documents; a plain string compared to an enum property is refused too.

type expr interface{}

type binExpr struct {
	op   string
	l, r expr
}

type notExpr struct{ x expr }

type propRef struct{ p *prop }

type lit struct {
	v    any   // string, money.Decimal, time.Time, bool, nil
	typ  ptype // tString, tDecimal (any number), tDate, tDateTime, tBool, tEnum; tNull for null
	ns   string
	enum string
}

type call struct {
	fn   string
	args []expr
}

const tNull ptype = -1

type token struct {
	kind string // ident, str, num, date, dt, enum, ( ) , eof
	text string
	lit  lit
	pos  int
}

var (
	reDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})`)
	reDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	reNumber   = regexp.MustCompile(`^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?`)
)

func badFilter(format string, args ...any) *odataError {
	return &odataError{status: 400, code: "BAD_REQUEST", message: "Invalid $filter: " + fmt.Sprintf(format, args...)}
}

func notImplemented(format string, args ...any) *odataError {
	return &odataError{status: 400, code: "ODP_NOT_IMPLEMENTED", message: fmt.Sprintf(format, args...)}
}

func lex(s string) ([]token, *odataError) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			out = append(out, token{kind: string(c), text: string(c), pos: i})
			i++
		case c == '\'':
			v, n, ok := lexString(s[i:])
			if !ok {
				return nil, badFilter("unterminated string literal at %d", i)
			}
			out = append(out, token{kind: "str", text: s[i : i+n], lit: lit{v: v, typ: tString}, pos: i})
			i += n
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			rest := s[i:]
			if m := reDateTime.FindString(rest); m != "" {
				t, err := time.Parse(time.RFC3339Nano, m)
				if err != nil {
					return nil, badFilter("bad timestamp %q", m)
				}
				out = append(out, token{kind: "dt", text: m, lit: lit{v: t.UTC(), typ: tDateTime}, pos: i})
				i += len(m)
				continue
			}
			if m := reDate.FindString(rest); m != "" {
				t, err := time.Parse("2006-01-02", m)
				if err != nil {
					return nil, badFilter("bad date %q", m)
				}
				out = append(out, token{kind: "date", text: m, lit: lit{v: t, typ: tDate}, pos: i})
				i += len(m)
				continue
			}
			m := reNumber.FindString(rest)
			num := strings.TrimRight(m, "mMdDfFlL")
			d, err := money.Parse(num)
			if err != nil {
				return nil, badFilter("bad number %q", m)
			}
			out = append(out, token{kind: "num", text: m, lit: lit{v: d, typ: tDecimal}, pos: i})
			i += len(m)
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			word := s[i:j]
			if j < len(s) && s[j] == '\'' { // qualified enum literal
				v, n, ok := lexString(s[j:])
				if !ok {
					return nil, badFilter("unterminated enum literal at %d", j)
				}
				dot := strings.LastIndexByte(word, '.')
				if dot <= 0 {
					return nil, badFilter("enum literal %s needs a qualified type", word)
				}
				out = append(out, token{kind: "enum", text: s[i : j+n], lit: lit{v: v, typ: tEnum, ns: word[:dot], enum: word[dot+1:]}, pos: i})
				i = j + n
				continue
			}
			out = append(out, token{kind: "ident", text: word, pos: i})
			i = j
		case c == '/':
			return nil, notImplemented("Navigation paths and lambda operators (any/all) are not supported in $filter")
		case c == '$':
			return nil, notImplemented("$count is not supported inside $filter")
		default:
			return nil, badFilter("unexpected character %q at %d", c, i)
		}
	}
	return append(out, token{kind: "eof", pos: len(s)}), nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// lexString reads a single-quoted literal with ” escapes; n counts the quotes.
func lexString(s string) (v string, n int, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, true
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}

// filterParser is a recursive-descent parser bound to one entity type and
// service, so property names and enum literals are checked while parsing.
type filterParser struct {
	toks []token
	i    int
	et   *entityType
	sv   *service
	cfg  *Config
}

func parseFilter(src string, et *entityType, sv *service, cfg *Config) (expr, *odataError) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks, et: et, sv: sv, cfg: cfg}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, badFilter("unexpected %q at %d", t.text, t.pos)
	}
	ti, err := p.check(e)
	if err != nil {
		return nil, err
	}
	if ti.t != tBool {
		return nil, badFilter("the expression must be a boolean condition")
	}
	return e, nil
}

func (p *filterParser) peek() token { return p.toks[p.i] }
func (p *filterParser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *filterParser) keyword(words ...string) string {
	t := p.peek()
	if t.kind != "ident" {
		return ""
	}
	for _, w := range words {
		if t.text == w {
			p.i++
			return w
		}
	}
	return ""
}

func (p *filterParser) or() (expr, *odataError) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") != "" {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = binExpr{"or", l, r}
	}
	return l, nil
}

func (p *filterParser) and() (expr, *odataError) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") != "" {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = binExpr{"and", l, r}
	}
	return l, nil
}

func (p *filterParser) not() (expr, *odataError) {
	if p.keyword("not") != "" {
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	return p.cmp()
}

func (p *filterParser) cmp() (expr, *odataError) {
	l, err := p.add()
	if err != nil {
		return nil, err
	}
	if p.keyword("has") != "" {
		return nil, notImplemented("The 'has' operator is not supported")
	}
	if op := p.keyword("eq", "ne", "gt", "ge", "lt", "le"); op != "" {
		r, err := p.add()
		if err != nil {
			return nil, err
		}
		return binExpr{op, l, r}, nil
	}
	return l, nil
}

func (p *filterParser) add() (expr, *odataError) {
	l, err := p.mul()
	if err != nil {
		return nil, err
	}
	for {
		op := p.keyword("add", "sub")
		if op == "" {
			return l, nil
		}
		r, err := p.mul()
		if err != nil {
			return nil, err
		}
		l = binExpr{op, l, r}
	}
}

func (p *filterParser) mul() (expr, *odataError) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		if p.keyword("mod") != "" {
			return nil, notImplemented("The arithmetic operator 'mod' is not supported")
		}
		op := p.keyword("mul", "div")
		if op == "" {
			return l, nil
		}
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		l = binExpr{op, l, r}
	}
}

var stringFuncs = map[string]int{"contains": 2, "startswith": 2, "endswith": 2, "tolower": 1, "toupper": 1, "length": 1, "trim": 1, "concat": 2}

var refusedFuncs = map[string]bool{"round": true, "floor": true, "ceiling": true, "any": true, "all": true,
	"isof": true, "geo.distance": true, "geo.length": true, "geo.intersects": true}

func (p *filterParser) primary() (expr, *odataError) {
	t := p.next()
	switch t.kind {
	case "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next().kind != ")" {
			return nil, badFilter("missing ) for ( at %d", t.pos)
		}
		return e, nil
	case "str", "num", "date", "dt", "enum":
		return t.lit, nil
	case "ident":
		switch t.text {
		case "true", "false":
			return lit{v: t.text == "true", typ: tBool}, nil
		case "null":
			return lit{typ: tNull}, nil
		}
		if p.peek().kind == "(" {
			name := t.text
			if refusedFuncs[name] {
				return nil, notImplemented("The function '%s' is not supported in $filter", name)
			}
			if name == "cast" {
				return nil, notImplemented("cast is only supported to Edm.String")
			}
			n, ok := stringFuncs[name]
			if !ok {
				return nil, badFilter("unknown function %s", name)
			}
			p.next()
			var args []expr
			for {
				a, err := p.or()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if p.peek().kind == "," {
					p.next()
					continue
				}
				break
			}
			if p.next().kind != ")" {
				return nil, badFilter("missing ) after arguments of %s", name)
			}
			if len(args) != n {
				return nil, badFilter("%s takes %d arguments", name, n)
			}
			return call{name, args}, nil
		}
		pr := p.et.prop(t.text)
		if pr == nil {
			return nil, badFilter("unknown property %s on %s", t.text, p.et.name)
		}
		if pr.name == "Objstate" && p.cfg.ObjstateFilterAlways400 {
			return nil, badFilter("filtering on Objstate is not supported on this instance")
		}
		return propRef{pr}, nil
	case "eof":
		return nil, badFilter("unexpected end of expression")
	}
	return nil, badFilter("unexpected %q at %d", t.text, t.pos)
}

// typeInfo is the static type of an expression.
type typeInfo struct {
	t    ptype
	enum string
}

func (p *filterParser) check(e expr) (typeInfo, *odataError) {
	switch x := e.(type) {
	case lit:
		if x.typ == tEnum {
			return typeInfo{tEnum, x.enum}, nil
		}
		return typeInfo{t: x.typ}, nil
	case propRef:
		t := x.p.typ
		if t == tInt {
			t = tDecimal
		}
		return typeInfo{t, x.p.enum}, nil
	case notExpr:
		ti, err := p.check(x.x)
		if err != nil {
			return ti, err
		}
		if ti.t != tBool {
			return ti, badFilter("not needs a boolean operand")
		}
		return typeInfo{t: tBool}, nil
	case call:
		for _, a := range x.args {
			ti, err := p.check(a)
			if err != nil {
				return ti, err
			}
			if ti.t != tString && ti.t != tNull {
				return ti, badFilter("%s needs string arguments", x.fn)
			}
		}
		switch x.fn {
		case "contains", "startswith", "endswith":
			return typeInfo{t: tBool}, nil
		case "length":
			return typeInfo{t: tDecimal}, nil
		}
		return typeInfo{t: tString}, nil
	case binExpr:
		l, err := p.check(x.l)
		if err != nil {
			return l, err
		}
		r, err := p.check(x.r)
		if err != nil {
			return r, err
		}
		switch x.op {
		case "and", "or":
			if l.t != tBool || r.t != tBool {
				return l, badFilter("%s needs boolean operands", x.op)
			}
			return typeInfo{t: tBool}, nil
		case "add", "sub", "mul", "div":
			if l.t != tDecimal || r.t != tDecimal {
				return l, badFilter("%s needs numeric operands", x.op)
			}
			return typeInfo{t: tDecimal}, nil
		}
		// comparison
		if l.t == tNull || r.t == tNull {
			return typeInfo{t: tBool}, nil
		}
		if l.t == tEnum || r.t == tEnum {
			if l.t != tEnum || r.t != tEnum {
				return l, badFilter("an enumeration must be compared with a qualified enum literal such as %s.%s'Value'",
					p.sv.namespace(), l.enum+r.enum)
			}
			if err := p.checkEnum(x.l, x.r); err != nil {
				return l, err
			}
			if err := p.checkEnum(x.r, x.l); err != nil {
				return l, err
			}
			return typeInfo{t: tBool}, nil
		}
		if l.t != r.t {
			return l, badFilter("cannot compare %s with %s", l.t.edm(), r.t.edm())
		}
		if l.t == tBool && x.op != "eq" && x.op != "ne" {
			return l, badFilter("booleans only support eq and ne")
		}
		return typeInfo{t: tBool}, nil
	}
	return typeInfo{}, badFilter("unsupported expression")
}

// checkEnum validates a qualified enum literal a against the enum property b.
func (p *filterParser) checkEnum(a, b expr) *odataError {
	l, ok := a.(lit)
	if !ok {
		return nil
	}
	pr, ok := b.(propRef)
	if !ok {
		return badFilter("enum literal must be compared with an enum property")
	}
	if l.ns != p.sv.namespace() || l.enum != pr.p.enum {
		return badFilter("enum literal %s.%s does not match the type %s.%s of %s", l.ns, l.enum, p.sv.namespace(), pr.p.enum, pr.p.name)
	}
	if et, ok := p.sv.enums[pr.p.enum]; ok && !et.has(l.v.(string)) {
		return badFilter("'%s' is not a member of %s.%s", l.v, l.ns, l.enum)
	}
	return nil
}

// eval evaluates e against r. Types were checked by parseFilter.
func eval(e expr, r *row) any {
	switch x := e.(type) {
	case lit:
		return x.v
	case propRef:
		v := r.v[x.p.name]
		if n, ok := v.(int64); ok {
			return money.FromInt(n)
		}
		return v
	case notExpr:
		b, _ := eval(x.x, r).(bool)
		return !b
	case call:
		var args []string
		for _, a := range x.args {
			s, ok := eval(a, r).(string)
			if !ok {
				if x.fn == "contains" || x.fn == "startswith" || x.fn == "endswith" {
					return false
				}
				return nil
			}
			args = append(args, s)
		}
		switch x.fn {
		case "contains":
			return strings.Contains(args[0], args[1])
		case "startswith":
			return strings.HasPrefix(args[0], args[1])
		case "endswith":
			return strings.HasSuffix(args[0], args[1])
		case "tolower":
			return strings.ToLower(args[0])
		case "toupper":
			return strings.ToUpper(args[0])
		case "trim":
			return strings.TrimSpace(args[0])
		case "length":
			return money.FromInt(int64(len([]rune(args[0]))))
		case "concat":
			return args[0] + args[1]
		}
	case binExpr:
		switch x.op {
		case "and":
			return truthy(eval(x.l, r)) && truthy(eval(x.r, r))
		case "or":
			return truthy(eval(x.l, r)) || truthy(eval(x.r, r))
		}
		a, b := eval(x.l, r), eval(x.r, r)
		switch x.op {
		case "add", "sub", "mul", "div":
			da, ok1 := a.(money.Decimal)
			db, ok2 := b.(money.Decimal)
			if !ok1 || !ok2 {
				return nil
			}
			switch x.op {
			case "add":
				return da.Add(db)
			case "sub":
				return da.Sub(db)
			case "mul":
				return da.Mul(db)
			default:
				if db.IsZero() {
					return nil
				}
				return da.Div(db, 8)
			}
		}
		return compare(x.op, a, b)
	}
	return nil
}

func truthy(v any) bool { b, _ := v.(bool); return b }

func compare(op string, a, b any) bool {
	if a == nil || b == nil {
		eq := a == nil && b == nil
		switch op {
		case "eq":
			return eq
		case "ne":
			return !eq
		}
		return false
	}
	c, ok := cmpValues(a, b)
	if !ok {
		return op == "ne"
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

// cmpValues orders two values of the same kind; nil sorts first.
func cmpValues(a, b any) (int, bool) {
	switch {
	case a == nil && b == nil:
		return 0, true
	case a == nil:
		return -1, true
	case b == nil:
		return 1, true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case money.Decimal:
		if n, ok := b.(int64); ok {
			b = money.FromInt(n)
		}
		y, ok := b.(money.Decimal)
		return x.Cmp(y), ok
	case int64:
		if y, ok := b.(int64); ok {
			return cmpInt(x, y), true
		}
		return cmpValues(money.FromInt(x), b)
	case time.Time:
		y, ok := b.(time.Time)
		return x.Compare(y), ok
	case bool:
		y, ok := b.(bool)
		switch {
		case x == y:
			return 0, ok
		case !x:
			return -1, ok
		}
		return 1, ok
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
