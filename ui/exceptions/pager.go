package exceptions

import (
	"context"

	"fyne.io/fyne/v2"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// pager caches pages of rows for the table. All its fields are touched only
// on the UI goroutine: fetches run on the Runner and hand their result back
// through fyne.Do, tagged with the generation they were asked for so a result
// that arrives after the filter changed is dropped.
type pager struct {
	ctx      context.Context
	src      Source
	run      *uikit.Runner
	size     int // rows per page
	maxPages int // cached pages kept; older ones are evicted

	filter  Filter
	gen     int
	count   int
	totals  []Total // the amounts of the selected exceptions per currency
	pages   map[int][]Row
	lru     []int
	pending map[int]bool

	onLoaded func()          // a page or the count arrived: refresh the table
	onReset  func()          // rows may move: drop the table selection
	onError  func(err error) // show in place
}

func newPager(ctx context.Context, src Source, run *uikit.Runner, size, maxPages int) *pager {
	return &pager{ctx: ctx, src: src, run: run, size: size, maxPages: maxPages,
		pages: map[int][]Row{}, pending: map[int]bool{}}
}

// reset drops the cache, sets the filter and reloads the count.
func (p *pager) reset(f Filter) {
	p.gen++
	p.filter = f
	p.pages = map[int][]Row{}
	p.lru = nil
	p.pending = map[int]bool{}
	if p.onReset != nil {
		p.onReset()
	}
	gen := p.gen
	p.run.Go(func() {
		n, err := p.src.Count(p.ctx, f)
		var totals []Total
		if err == nil {
			totals, err = p.src.Totals(p.ctx, f)
		}
		fyne.Do(func() {
			if gen != p.gen {
				return
			}
			if err != nil {
				p.onError(err)
				return
			}
			p.count, p.totals = n, totals
			p.onLoaded()
		})
	})
}

// row returns row i when its page is cached, and asks for the page otherwise.
func (p *pager) row(i int) (Row, bool) {
	if i < 0 || i >= p.count {
		return Row{}, false
	}
	pg := i / p.size
	rows, ok := p.pages[pg]
	if !ok {
		p.want(pg)
		return Row{}, false
	}
	p.touch(pg)
	off := i % p.size
	if off >= len(rows) {
		return Row{}, false
	}
	return rows[off], true
}

func (p *pager) want(pg int) {
	if p.pending[pg] {
		return
	}
	p.pending[pg] = true
	gen, f := p.gen, p.filter
	p.run.Go(func() {
		rows, err := p.src.Page(p.ctx, f, pg*p.size, p.size)
		fyne.Do(func() {
			if gen != p.gen {
				return
			}
			delete(p.pending, pg)
			if err != nil {
				p.onError(err)
				return
			}
			p.pages[pg] = rows
			p.touch(pg)
			p.evict()
			p.onLoaded()
		})
	})
}

func (p *pager) touch(pg int) {
	for i, v := range p.lru {
		if v == pg {
			if i == len(p.lru)-1 {
				return
			}
			p.lru = append(p.lru[:i], p.lru[i+1:]...)
			break
		}
	}
	p.lru = append(p.lru, pg)
}

func (p *pager) evict() {
	for len(p.lru) > p.maxPages {
		delete(p.pages, p.lru[0])
		p.lru = p.lru[1:]
	}
}
