package x12

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestST02Unique checks the group's ST02 uniqueness check against a plain
// set of strings, over control numbers that mostly count up (the fast path)
// with repeats, leading zeros, numbers going down and ones that are not all
// digits, across two groups.
func TestST02Unique(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for round := range 30 {
		var b strings.Builder
		b.WriteString("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260102*1504*U*00401*000000905*0*T*>~")
		var want []bool
		for grp := 1; grp <= 2; grp++ {
			fmt.Fprintf(&b, "GS*FA*S*R*20260102*1504*%d*X*004010~", grp)
			seen := map[string]bool{}
			n := 1 + rng.IntN(60)
			next := 1
			var sent []string
			for range n {
				var ctl string
				switch k := rng.IntN(10); {
				case k < 5 || len(sent) == 0:
					next += 1 + rng.IntN(3)
					ctl = fmt.Sprintf("%04d", next)
				case k < 7:
					ctl = sent[rng.IntN(len(sent))]
				case k == 7:
					ctl = fmt.Sprintf("%d", rng.IntN(next+2))
				case k == 8:
					ctl = fmt.Sprintf("%05d", rng.IntN(next+2))
				default:
					ctl = []string{"ABCD", "A001", "0001A", "99999", "1234567890"}[rng.IntN(5)]
				}
				sent = append(sent, ctl)
				want = append(want, seen[ctl])
				seen[ctl] = true
				fmt.Fprintf(&b, "ST*997*%s~AK1*IN*1~AK9*A*1*1*1~SE*4*%s~", ctl, ctl)
			}
			fmt.Fprintf(&b, "GE*%d*%d~", n, grp)
		}
		b.WriteString("IEA*2*000000905~")
		rd := NewReader(strings.NewReader(b.String()))
		i := 0
		for rd.Next() {
			s := rd.Set()
			got := false
			for _, e := range s.Errors {
				if e.Code == "23" {
					got = true
				}
			}
			if i >= len(want) || got != want[i] {
				t.Fatalf("round %d set %d (ST02 %q): duplicate reported %v, want %v", round, i, s.ControlNumber, got, i < len(want) && want[i])
			}
			i++
		}
		if i != len(want) {
			t.Fatalf("round %d: read %d sets, want %d (%v)", round, i, len(want), rd.Err())
		}
	}
}
