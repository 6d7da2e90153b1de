package exceptions

import (
	"testing"

	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestCountTextCurrencies(t *testing.T) {
	m := money.MustParse
	got := countText(7, []Total{{"CHF", m("1.00")}, {"EUR", m("2.50")}, {"GBP", m("3")}, {"USD", m("4")}})
	if got != "7 open · 1.00 CHF + 2.50 EUR + 2 more currencies" {
		t.Fatalf("%q", got)
	}
	if got := countText(2, []Total{{"CHF", m("1")}, {"EUR", m("2")}, {"GBP", m("3")}}); got != "2 open · 1 CHF + 2 EUR + 1 more currency" {
		t.Fatalf("%q", got)
	}
	if got := countText(0, nil); got != "0 open" {
		t.Fatalf("%q", got)
	}
}
