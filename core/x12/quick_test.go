package x12

import (
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQuickAgreesWithDescribe: the fast per-segment check (segDef.quick)
// may only let through what the full one (describe, which writes the 997's
// AK3/AK4) finds nothing in. Random element values, chosen to sit on the
// rules' edges (empty, spaces, one char past a length, signs and points,
// times, code-list members and near misses, separators), replace the
// elements of a hand-made invoice; the errors must be the same whether
// every segment goes through quick first or straight to describe.
// ML_X12_SEED repeats a run.
func TestQuickAgreesWithDescribe(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("ML_X12_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("ML_X12_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	values := []string{"", " ", "  ", "A", "AB", "AB ", "ABC", "A B", "EA", "XX", "USD", "CUR", "F", "S", "Q", "BP", "VC",
		"0", "1", "-1", "12.50", "1.2.3", "-", ".", "1-2", "0930", "2561", "093015", "0930155", "20260301",
		"1234567890123456", strings.Repeat("W", 31), strings.Repeat("W", 81), "V>1", "R1"}
	base := strings.Split(dictInvoice("REF*IA*V-1", "CUR*SE*USD", "PID*F****Bolt"), "~")
	const runs = 3000
	for run := range runs {
		segs := append([]string(nil), base...)
		// One to three changes in the body (ST at index 2, SE before GE).
		for range 1 + rng.IntN(3) {
			i := 3 + rng.IntN(len(segs)-3-4)
			el := strings.Split(segs[i], "*")
			switch k := 1 + rng.IntN(len(el)+1); {
			case k < len(el):
				el[k] = values[rng.IntN(len(values))]
			default:
				el = append(el, values[rng.IntN(len(values))])
			}
			segs[i] = strings.Join(el, "*")
		}
		in := strings.Join(segs, "~")
		parse := func(all bool) []Issue {
			describeAll = all
			defer func() { describeAll = false }()
			rd := NewReader(strings.NewReader(in))
			if !rd.Next() {
				return nil
			}
			inv, _ := ParseInvoice(rd.Set())
			if inv == nil {
				return nil
			}
			return inv.Errors
		}
		fast, full := parse(false), parse(true)
		if !reflect.DeepEqual(fast, full) {
			t.Fatalf("run %d (ML_X12_SEED=%d): quick passed what describe reports\n%s\nquick first: %v\ndescribe:    %v", run, seed, in, fast, full)
		}
	}
}
