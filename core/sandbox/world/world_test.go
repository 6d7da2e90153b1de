package world

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestDeterministic(t *testing.T) {
	a, b := New(42), New(42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different worlds")
	}
	c := New(43)
	if reflect.DeepEqual(a.PurchaseOrders, c.PurchaseOrders) {
		t.Fatal("different seeds gave the same orders")
	}
}

func TestShape(t *testing.T) {
	w := New(1)
	if len(w.Suppliers) != 12 {
		t.Errorf("suppliers = %d, want 12", len(w.Suppliers))
	}
	if n := len(w.PurchaseOrders); n < 55 || n > 65 {
		t.Errorf("orders = %d, want about 60", n)
	}
	states := map[string]int{}
	currencies := map[string]bool{}
	units := map[string]bool{}
	isa := map[string]bool{}
	for _, s := range w.Suppliers {
		k := s.Partner.ISAQualifier + ":" + s.Partner.ISAID
		if isa[k] {
			t.Errorf("duplicate ISA id %s", k)
		}
		isa[k] = true
		if len(s.Partner.ISAID) > 15 || s.Partner.ExternalID != s.SupplierID || s.Partner.OurID != w.Us.ID {
			t.Errorf("bad partner %+v", s.Partner)
		}
		if len(s.Partner.ID) != 22 {
			t.Errorf("connection id %q not 22 chars", s.Partner.ID)
		}
		if got, ok := w.SupplierByISA(s.Partner.ISAQualifier, s.Partner.ISAID+"   "); !ok || got.SupplierID != s.SupplierID {
			t.Errorf("SupplierByISA(%s) = %v %v", k, got.SupplierID, ok)
		}
	}
	if isa[w.UnknownPartner.ISAQualifier+":"+w.UnknownPartner.ISAID] || w.UnknownPartner.ExternalID != "" {
		t.Error("unknown partner maps to a supplier")
	}
	if len(w.Partners()) != 13 {
		t.Errorf("partners = %d", len(w.Partners()))
	}
	prev := ""
	for _, po := range w.PurchaseOrders {
		if po.OrderNo <= prev {
			t.Errorf("orders not sorted: %s after %s", po.OrderNo, prev)
		}
		prev = po.OrderNo
		states[po.State]++
		currencies[po.Currency] = true
		sup, ok := w.SupplierByID(po.SupplierID)
		if !ok || sup.Currency != po.Currency {
			t.Errorf("%s: supplier %s currency mismatch", po.OrderNo, po.SupplierID)
		}
		if len(po.Lines) == 0 {
			t.Errorf("%s has no lines", po.OrderNo)
		}
		if po.OrderDate.After(w.Today) || po.WantedReceiptDate.Before(po.OrderDate) {
			t.Errorf("%s: bad dates", po.OrderNo)
		}
		for _, l := range po.Lines {
			units[l.Unit] = true
			if l.OrderNo != po.OrderNo || !l.Quantity.Valid() || l.Quantity.Sign() <= 0 || l.UnitPrice.Sign() <= 0 {
				t.Errorf("%s/%s: bad line %+v", po.OrderNo, l.LineNo, l)
			}
			if !l.NetAmount.Equal(l.Quantity.Mul(l.UnitPrice).Round(2)) {
				t.Errorf("%s/%s: net %s != %s × %s", po.OrderNo, l.LineNo, l.NetAmount, l.Quantity, l.UnitPrice)
			}
			if !w.ValidCode("A", l.CodeString.Account, w.Today) || !w.ValidCode("B", l.CodeString.CodeB, w.Today) {
				t.Errorf("%s/%s: code string %+v not valid", po.OrderNo, l.LineNo, l.CodeString)
			}
		}
	}
	for _, st := range POStates {
		if states[st] == 0 {
			t.Errorf("no order in state %s", st)
		}
	}
	for _, c := range []string{"USD", "EUR", "GBP"} {
		if !currencies[c] {
			t.Errorf("no order in %s", c)
		}
	}
	for _, u := range []string{"PCS", "KG", "M", "L", "BOX"} {
		if !units[u] {
			t.Errorf("no line in unit %s", u)
		}
	}
	if w.ValidCode("A", "4090", w.Today) || w.ValidCode("A", "6990", w.Today) || w.ValidCode("B", "190", w.Today) {
		t.Error("expired/future code parts reported valid")
	}
	if _, ok := w.CodePart("A", "4090"); !ok {
		t.Error("expired account missing")
	}
}

func TestCloneIsDeep(t *testing.T) {
	w := New(7)
	c := w.Clone()
	c.PurchaseOrders[0].State = "X"
	c.PurchaseOrders[0].Lines[0].UnitPrice = money.FromInt(999)
	c.Suppliers[0].Name = "X"
	if !reflect.DeepEqual(w, New(7)) {
		t.Fatal("mutating a clone changed the original")
	}
}

func TestNewAtShiftsDates(t *testing.T) {
	day := time.Date(2027, 3, 9, 15, 4, 5, 0, time.FixedZone("X", 3600))
	a, b := NewAt(5, day), NewAt(5, day)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("NewAt not deterministic")
	}
	if want := time.Date(2027, 3, 9, 0, 0, 0, 0, time.UTC); !a.Today.Equal(want) {
		t.Errorf("Today = %v, want %v", a.Today, want)
	}
	base := New(5)
	shift := a.Today.Sub(base.Today)
	for i, po := range a.PurchaseOrders {
		if !po.OrderDate.Equal(base.PurchaseOrders[i].OrderDate.Add(shift)) || po.OrderNo != base.PurchaseOrders[i].OrderNo {
			t.Fatalf("%s: order date not shifted with today", po.OrderNo)
		}
	}
}

// AddCopies appends numbered copies of the orders in the given states,
// in turn, with their lines renumbered to the new order; the same call on
// the same world gives the same orders.
func TestAddCopies(t *testing.T) {
	w, w2 := New(1), New(1)
	var released []string
	for _, po := range w.PurchaseOrders {
		if po.State == StateReleased && len(po.Lines) > 0 {
			released = append(released, po.OrderNo)
		}
	}
	before := len(w.PurchaseOrders)
	n := len(released) + 2 // wraps round to the first released order
	w.AddCopies(n, "XO", StateReleased)
	w2.AddCopies(n, "XO", StateReleased)
	if len(w.PurchaseOrders) != before+n {
		t.Fatalf("%d orders, want %d", len(w.PurchaseOrders), before+n)
	}
	for i, po := range w.PurchaseOrders[before:] {
		src, _ := w.PurchaseOrder(released[i%len(released)])
		if want := fmt.Sprintf("XO%05d", i+1); po.OrderNo != want || po.State != StateReleased || po.SupplierID != src.SupplierID || len(po.Lines) != len(src.Lines) {
			t.Fatalf("copy %d: %s %s %s, want %s of %s", i, po.OrderNo, po.State, po.SupplierID, want, src.OrderNo)
		}
		for j, l := range po.Lines {
			if l.OrderNo != po.OrderNo || !l.Quantity.Equal(src.Lines[j].Quantity) || !l.UnitPrice.Equal(src.Lines[j].UnitPrice) {
				t.Fatalf("copy %s line %d: %+v", po.OrderNo, j, l)
			}
		}
		if src.Lines[0].OrderNo != src.OrderNo {
			t.Fatalf("the copy changed its source %s", src.OrderNo)
		}
		if fmt.Sprint(w2.PurchaseOrders[before+i]) != fmt.Sprint(po) {
			t.Fatalf("copy %d differs between two worlds of one seed", i)
		}
	}
	w.AddCopies(3, "XX", "NoSuchState")
	if len(w.PurchaseOrders) != before+n {
		t.Fatal("copies of no order were added")
	}
}
