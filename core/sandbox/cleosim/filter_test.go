package cleosim

import (
	"fmt"
	"testing"
)

// Only a filter that is and-joined comparisons promises its eq values.
func TestEqConjuncts(t *testing.T) {
	for _, c := range []struct {
		expr string
		want string // fmt of the map, "-" for not ok
	}{
		{`filename eq "a.edi"`, `map[filename:a.edi]`},
		{`FileName eq "a.edi" and direction eq "send"`, `map[direction:send filename:a.edi]`},
		{`(filename eq "a b") and status ne "Error"`, `map[filename:a b]`},
		{`filename eq "a" or filename eq "b"`, "-"},
		{`not (filename eq "a")`, "-"},
		{`filename sw "a"`, "-"},
		{`filename eq "unterminated`, "-"},
		{``, "-"},
	} {
		eq, ok := eqConjuncts(c.expr)
		got := "-"
		if ok {
			got = fmt.Sprint(eq)
		}
		if got != c.want {
			t.Errorf("%q: %s, want %s", c.expr, got, c.want)
		}
	}
}
