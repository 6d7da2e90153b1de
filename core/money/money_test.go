package money

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"0", "0", nil},
		{"12.50", "12.50", nil},
		{"-0.05", "-0.05", nil},
		{".5", "0.5", nil},
		{"3.", "3", nil},
		{"+7", "7", nil},
		{"12,50", "", ErrSyntax},
		{"1e3", "", ErrSyntax},
		{"", "", ErrSyntax},
		{"-", "", ErrSyntax},
		{"1.2.3", "", ErrSyntax},
		{"99999999999999999999", "", ErrRange},
		{"1.0000000000001", "", ErrRange},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || d.String() != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, d, err, tt.want)
		}
	}
}

func TestImplied(t *testing.T) {
	d, err := ParseImplied("139550", 2)
	if err != nil || d.String() != "1395.50" {
		t.Fatalf("got %v %v", d, err)
	}
	if _, err := ParseImplied("12.5", 2); err == nil {
		t.Fatal("explicit point in implied value accepted")
	}
	if got := MustParse("1234.5").ImpliedString(2); got != "123450" {
		t.Fatalf("ImpliedString = %q", got)
	}
}

func TestArithmetic(t *testing.T) {
	a, b := MustParse("10.25"), MustParse("3.5")
	if got := a.Add(b).String(); got != "13.75" {
		t.Errorf("Add = %s", got)
	}
	if got := a.Sub(b).String(); got != "6.75" {
		t.Errorf("Sub = %s", got)
	}
	if got := a.Mul(b).String(); got != "35.875" {
		t.Errorf("Mul = %s", got)
	}
	if got := a.Mul(b).Round(2).String(); got != "35.88" {
		t.Errorf("Round = %s", got)
	}
	if got := MustParse("-2.345").Round(2).String(); got != "-2.35" {
		t.Errorf("negative half away = %s", got)
	}
	if got := MustParse("10").Div(MustParse("3"), 4).String(); got != "3.3333" {
		t.Errorf("Div = %s", got)
	}
	if !MustParse("1.50").Equal(MustParse("1.5")) {
		t.Error("1.50 != 1.5")
	}
	if MustParse("1.5").Cmp(MustParse("1.49")) != 1 {
		t.Error("Cmp order")
	}
	if got := MustParse("12.500").Normalize().String(); got != "12.5" {
		t.Errorf("Normalize = %s", got)
	}
}

func TestOverflowIsInvalidNotPanic(t *testing.T) {
	big := New(9_000_000_000_000_000_000, 0)
	if s := big.Add(big); s.Valid() {
		t.Fatalf("overflow not detected: %s", s)
	}
	if s := big.Mul(FromInt(2)); s.Valid() {
		t.Fatalf("mul overflow not detected: %s", s)
	}
	if s := FromInt(1).Div(Zero, 2); s.Valid() {
		t.Fatal("division by zero valid")
	}
	if New(1, 40).Valid() {
		t.Fatal("scale over max valid")
	}
}

func TestJSON(t *testing.T) {
	var v struct{ A, B, C Decimal }
	if err := json.Unmarshal([]byte(`{"A":"12.50","B":7.25,"C":1.5e2}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "12.50" || v.B.String() != "7.25" || v.C.String() != "150" {
		t.Fatalf("got %s %s %s", v.A, v.B, v.C)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"12.50","B":"7.25","C":"150"}` {
		t.Fatalf("marshal = %s", out)
	}
}

func TestParseBytesNoAlloc(t *testing.T) {
	b := []byte("12345.67")
	n := testing.AllocsPerRun(100, func() { _, _ = ParseBytes(b) })
	if n != 0 {
		t.Fatalf("ParseBytes allocates %v times", n)
	}
}
