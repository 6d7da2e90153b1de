// Package money is the decimal type every amount, quantity and price in the
// connector uses. Invoices must add up to the cent, so float64 is never used:
// a Decimal is an int64 coefficient and a count of digits after the point.
//
// The scale a value was written with is kept ("12.50" stays "12.50"), because
// EDI and IFS both care about how many decimals a figure carried. Arithmetic
// never panics: an overflow yields an invalid Decimal (like a NaN) that
// reports itself through Valid and prints as "NaN", so a bad file becomes a
// clear error instead of a crash or a silently wrong total.
package money

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// MaxScale is the largest number of digits after the point a Decimal carries.
const MaxScale = 12

// Decimal is an exact decimal number: coef × 10^-scale.
// The zero value is 0 with scale 0 and is valid.
type Decimal struct {
	coef    int64
	scale   uint8
	invalid bool
}

// ErrSyntax is returned (wrapped) when a string is not a decimal number.
var ErrSyntax = errors.New("not a decimal number")

// ErrRange is returned (wrapped) when a number has too many digits for the type.
var ErrRange = errors.New("decimal out of range")

// Zero is 0.
var Zero = Decimal{}

// New returns coef × 10^-scale. A scale above MaxScale yields an invalid Decimal.
func New(coef int64, scale int) Decimal {
	if scale < 0 || scale > MaxScale {
		return Decimal{invalid: true}
	}
	return Decimal{coef: coef, scale: uint8(scale)}
}

// FromInt returns the integer n.
func FromInt(n int64) Decimal { return Decimal{coef: n} }

// MustParse parses s and panics on error; for constants in code and tests only.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Parse reads a plain decimal: optional sign, digits, optional point and
// digits ("-12.50", ".5", "3."). Exponents, thousands separators and commas
// as decimal points are rejected, as X12 R and N types require.
func Parse(s string) (Decimal, error) {
	return parse(s, 0)
}

// ParseBytes is Parse over a byte slice without allocating.
func ParseBytes(b []byte) (Decimal, error) {
	return parseBytes(b, 0)
}

// ParseImplied reads an X12 Nn value: digits with an implied decimal point
// places from the right ("123456" with 2 places is 1234.56). A value that
// carries an explicit point is rejected, because N types never have one.
func ParseImplied(s string, places int) (Decimal, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return Decimal{}, fmt.Errorf("%q: implied-decimal value has a decimal point: %w", s, ErrSyntax)
		}
	}
	return parse(s, places)
}

func parse(s string, implied int) (Decimal, error) {
	d, ok, rng := scan(s, implied)
	if !ok {
		if rng {
			return Decimal{}, fmt.Errorf("%q: %w", s, ErrRange)
		}
		return Decimal{}, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	return d, nil
}

func parseBytes(b []byte, implied int) (Decimal, error) {
	// The compiler does not allocate for string(b) passed to a non-escaping
	// function, and scan does not retain it.
	d, ok, rng := scan(string(b), implied)
	if !ok {
		if rng {
			return Decimal{}, fmt.Errorf("%q: %w", b, ErrRange)
		}
		return Decimal{}, fmt.Errorf("%q: %w", b, ErrSyntax)
	}
	return d, nil
}

// scan does the work of every parse variant. It reports ok=false for syntax
// errors and rng=true when the digits do not fit.
func scan(s string, implied int) (d Decimal, ok bool, rng bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var coef uint64
	digits, scale := 0, 0
	seenPoint := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if coef > (math.MaxInt64-9)/10 {
				return Decimal{}, false, true
			}
			coef = coef*10 + uint64(c-'0')
			digits++
			if seenPoint {
				scale++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			return Decimal{}, false, false
		}
	}
	if digits == 0 {
		return Decimal{}, false, false
	}
	scale += implied
	if scale > MaxScale {
		return Decimal{}, false, true
	}
	v := int64(coef)
	if neg {
		v = -v
	}
	return Decimal{coef: v, scale: uint8(scale)}, true, false
}

// Valid reports whether d is a number (not the result of an overflow).
func (d Decimal) Valid() bool { return !d.invalid }

// Scale is the number of digits after the point.
func (d Decimal) Scale() int { return int(d.scale) }

// Coef is the integer coefficient: d = Coef × 10^-Scale.
func (d Decimal) Coef() int64 { return d.coef }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.coef < 0:
		return -1
	case d.coef > 0:
		return 1
	}
	return 0
}

// IsZero reports whether d is numerically zero.
func (d Decimal) IsZero() bool { return d.coef == 0 && !d.invalid }

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	if d.invalid || d.coef == math.MinInt64 {
		return Decimal{invalid: true}
	}
	return Decimal{coef: -d.coef, scale: d.scale}
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.coef < 0 {
		return d.Neg()
	}
	return d
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// mulInt multiplies with overflow detection.
func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	neg := (a < 0) != (b < 0)
	ua, ub := uabs(a), uabs(b)
	hi, lo := bits.Mul64(ua, ub)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(lo), true
	}
	return int64(lo), true
}

func uabs(a int64) uint64 {
	if a < 0 {
		return uint64(-a)
	}
	return uint64(a)
}

// Rescale returns d with exactly scale digits after the point, rounding half
// away from zero when digits are dropped (the rule invoices use).
func (d Decimal) Rescale(scale int) Decimal {
	if d.invalid || scale < 0 || scale > MaxScale {
		return Decimal{invalid: true}
	}
	cur := int(d.scale)
	switch {
	case scale == cur:
		return d
	case scale > cur:
		c, ok := mulInt(d.coef, pow10[scale-cur])
		if !ok {
			return Decimal{invalid: true}
		}
		return Decimal{coef: c, scale: uint8(scale)}
	default:
		p := pow10[cur-scale]
		q, r := d.coef/p, d.coef%p
		if uabs(r)*2 >= uint64(p) {
			if d.coef < 0 {
				q--
			} else {
				q++
			}
		}
		return Decimal{coef: q, scale: uint8(scale)}
	}
}

// Round is Rescale under the name callers look for.
func (d Decimal) Round(places int) Decimal { return d.Rescale(places) }

func align(a, b Decimal) (Decimal, Decimal, bool) {
	if a.scale == b.scale {
		return a, b, true
	}
	s := max(int(a.scale), int(b.scale))
	a, b = a.Rescale(s), b.Rescale(s)
	return a, b, a.Valid() && b.Valid()
}

// Add returns d + e at the larger of the two scales.
func (d Decimal) Add(e Decimal) Decimal {
	if d.invalid || e.invalid {
		return Decimal{invalid: true}
	}
	a, b, ok := align(d, e)
	if !ok {
		return Decimal{invalid: true}
	}
	s := a.coef + b.coef
	// Overflow when both operands share a sign the sum does not.
	if (a.coef > 0 && b.coef > 0 && s < 0) || (a.coef < 0 && b.coef < 0 && s >= 0) {
		return Decimal{invalid: true}
	}
	return Decimal{coef: s, scale: a.scale}
}

// Sub returns d - e.
func (d Decimal) Sub(e Decimal) Decimal { return d.Add(e.Neg()) }

// Mul returns d × e with the scales added (exact), capped at MaxScale by rounding.
func (d Decimal) Mul(e Decimal) Decimal {
	if d.invalid || e.invalid {
		return Decimal{invalid: true}
	}
	c, ok := mulInt(d.coef, e.coef)
	if !ok {
		return Decimal{invalid: true}
	}
	s := int(d.scale) + int(e.scale)
	if s > MaxScale {
		// Round down to MaxScale digits.
		return Decimal{coef: c, scale: 18}.rescaleFrom(s, MaxScale)
	}
	return Decimal{coef: c, scale: uint8(s)}
}

// rescaleFrom rounds a coefficient that carries scale from digits to to digits.
func (d Decimal) rescaleFrom(from, to int) Decimal {
	p := pow10[from-to]
	q, r := d.coef/p, d.coef%p
	if uabs(r)*2 >= uint64(p) {
		if d.coef < 0 {
			q--
		} else {
			q++
		}
	}
	return Decimal{coef: q, scale: uint8(to)}
}

// MulInt returns d × n.
func (d Decimal) MulInt(n int64) Decimal { return d.Mul(FromInt(n)) }

// Div returns d ÷ e rounded half away from zero to scale digits. Division by
// zero yields an invalid Decimal.
func (d Decimal) Div(e Decimal, scale int) Decimal {
	if d.invalid || e.invalid || e.coef == 0 || scale < 0 || scale > MaxScale {
		return Decimal{invalid: true}
	}
	// d/e = (dc × 10^-ds) / (ec × 10^-es) = dc/ec × 10^(es-ds); want scale digits.
	shift := scale + int(e.scale) - int(d.scale)
	num := d.coef
	den := e.coef
	if shift >= 0 {
		if shift > 18 {
			return Decimal{invalid: true}
		}
		var ok bool
		if num, ok = mulInt(num, pow10[shift]); !ok {
			return Decimal{invalid: true}
		}
	} else {
		if -shift > 18 {
			return Decimal{coef: 0, scale: uint8(scale)}
		}
		var ok bool
		if den, ok = mulInt(den, pow10[-shift]); !ok {
			return Decimal{coef: 0, scale: uint8(scale)}
		}
	}
	q, r := num/den, num%den
	if uabs(r)*2 >= uabs(den) {
		if (num < 0) != (den < 0) {
			q--
		} else {
			q++
		}
	}
	return Decimal{coef: q, scale: uint8(scale)}
}

// Cmp compares numerically: -1 if d < e, 0 if equal, +1 if d > e.
// Invalid values sort before every number and equal to each other.
func (d Decimal) Cmp(e Decimal) int {
	switch {
	case d.invalid && e.invalid:
		return 0
	case d.invalid:
		return -1
	case e.invalid:
		return 1
	}
	a, b, ok := align(d, e)
	if !ok {
		// Alignment overflowed: the one with the larger magnitude integer part wins.
		return cmpFloatFallback(d, e)
	}
	switch {
	case a.coef < b.coef:
		return -1
	case a.coef > b.coef:
		return 1
	}
	return 0
}

func cmpFloatFallback(d, e Decimal) int {
	// Only reached for magnitudes near the int64 limit; an ordering, not an amount.
	fd := float64(d.coef) / float64(pow10[d.scale])
	fe := float64(e.coef) / float64(pow10[e.scale])
	switch {
	case fd < fe:
		return -1
	case fd > fe:
		return 1
	}
	return 0
}

// Equal reports numeric equality ("1.50" equals "1.5").
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// String prints the value with its scale and no exponent ("-12.50").
func (d Decimal) String() string {
	var buf [32]byte
	return string(d.AppendText(buf[:0]))
}

// AppendText appends the String form to b.
func (d Decimal) AppendText(b []byte) []byte {
	if d.invalid {
		return append(b, "NaN"...)
	}
	u := uabs(d.coef)
	if d.coef < 0 {
		b = append(b, '-')
	}
	var digits [24]byte
	s := strconv.AppendUint(digits[:0], u, 10)
	sc := int(d.scale)
	if sc == 0 {
		return append(b, s...)
	}
	if len(s) <= sc {
		b = append(b, '0', '.')
		for i := len(s); i < sc; i++ {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	b = append(b, s[:len(s)-sc]...)
	b = append(b, '.')
	return append(b, s[len(s)-sc:]...)
}

// Normalize drops trailing zeros after the point ("12.50" becomes "12.5",
// "3.00" becomes "3").
func (d Decimal) Normalize() Decimal {
	for d.scale > 0 && d.coef%10 == 0 {
		d.coef /= 10
		d.scale--
	}
	return d
}

// StringFixed prints with exactly places digits after the point.
func (d Decimal) StringFixed(places int) string { return d.Rescale(places).String() }

// ImpliedString prints d as an X12 Nn value with places implied decimals
// (1234.56 with 2 places is "123456").
func (d Decimal) ImpliedString(places int) string {
	r := d.Rescale(places)
	if !r.Valid() {
		return "NaN"
	}
	return strconv.FormatInt(r.coef, 10)
}

// MarshalJSON writes the value as a JSON string, so no consumer reads it as a float.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.invalid {
		return nil, errors.New("money: marshal invalid decimal")
	}
	b := make([]byte, 0, 24)
	b = append(b, '"')
	b = d.AppendText(b)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a JSON string or a JSON number (IFS sends Edm.Decimal
// as a number unless IEEE754Compatible=true is asked for). The digits are read
// as text, never through float64.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Decimal{}
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	v, err := parseJSONNumber(b)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// parseJSONNumber accepts plain decimals and the exponent forms JSON allows.
func parseJSONNumber(b []byte) (Decimal, error) {
	for i, c := range b {
		if c == 'e' || c == 'E' {
			mant, err := ParseBytes(b[:i])
			if err != nil {
				return Decimal{}, err
			}
			exp, err := strconv.Atoi(string(b[i+1:]))
			if err != nil || exp > 18 || exp < -MaxScale {
				return Decimal{}, fmt.Errorf("%q: %w", b, ErrRange)
			}
			sc := int(mant.scale) - exp
			if sc < 0 {
				c, ok := mulInt(mant.coef, pow10[-sc])
				if !ok {
					return Decimal{}, fmt.Errorf("%q: %w", b, ErrRange)
				}
				return Decimal{coef: c}, nil
			}
			if sc > MaxScale {
				return Decimal{}, fmt.Errorf("%q: %w", b, ErrRange)
			}
			return Decimal{coef: mant.coef, scale: uint8(sc)}, nil
		}
	}
	return ParseBytes(b)
}

// MarshalText writes the String form (used by encoding/xml and map keys).
func (d Decimal) MarshalText() ([]byte, error) {
	if d.invalid {
		return nil, errors.New("money: marshal invalid decimal")
	}
	return d.AppendText(nil), nil
}

// UnmarshalText reads a plain decimal.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseBytes(b)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores a Decimal in SQL as TEXT, keeping every digit.
func (d Decimal) Value() (driver.Value, error) {
	if d.invalid {
		return nil, errors.New("money: store invalid decimal")
	}
	return d.String(), nil
}

// Scan reads a Decimal stored as TEXT (or an integer) from SQL.
func (d *Decimal) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Decimal{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	case int64:
		*d = FromInt(v)
		return nil
	default:
		return fmt.Errorf("money: cannot scan %T into Decimal", src)
	}
}
