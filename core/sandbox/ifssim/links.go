package ifssim

import (
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// LinkForms says which of the URL forms a real OData v4 server may legitimately
// use the sandbox writes into its payloads. A client that follows the
// specification reads every combination; one that copies one server's habit
// does not (the reference-data flow once stalled at page two on a server that
// sent relative next links inside a navigation).
type LinkForms struct {
	// RelativeNext writes @odata.nextLink relative to the payload's context
	// URL (OData JSON Format v4.01 §4.3) instead of absolute.
	RelativeNext bool
	// RelativeContext writes @odata.context relative to the request URL
	// ("$metadata#…" at the service root, "../$metadata#…" inside a
	// navigation) instead of absolute (§4.3, §10: the context URL may be
	// relative; its own base is the request URL).
	RelativeContext bool
	// SkipPaging pages with $skip (and the remaining $top) in the next link
	// instead of an opaque $skiptoken (Protocol §11.2.6.7: the next link is
	// opaque to the client, whichever form the server picks).
	SkipPaging bool
}

// String names the forms for a test log.
func (f LinkForms) String() string {
	next, ctx, paging := "absolute", "absolute", "$skiptoken"
	if f.RelativeNext {
		next = "relative"
	}
	if f.RelativeContext {
		ctx = "relative"
	}
	if f.SkipPaging {
		paging = "$skip"
	}
	return fmt.Sprintf("nextLink %s, context %s, paging %s", next, ctx, paging)
}

// AllLinkForms lists every combination, for tests that try them all.
func AllLinkForms() []LinkForms {
	var all []LinkForms
	for i := range 8 {
		all = append(all, LinkForms{RelativeNext: i&1 != 0, RelativeContext: i&2 != 0, SkipPaging: i&4 != 0})
	}
	return all
}

// SeedEnv is the environment variable that repeats a run's random choices
// (world.SeedEnv, shared with the Cleo sandbox).
const SeedEnv = world.SeedEnv

// randomLinkForms draws the forms of one sandbox instance from the run seed
// and the instance's ordinal, so that the servers of one run differ.
func randomLinkForms() LinkForms {
	return AllLinkForms()[world.InstanceRand(0).IntN(8)]
}

// contextURL is the @odata.context of a response: the service's metadata
// document with the fragment, absolute or relative to the request URL.
func (c *reqCtx) contextURL(fragment string) string {
	if !c.s.cfg.Links.RelativeContext || c.batch != nil {
		// Inside $batch the request URL of a part is itself relative; an
		// absolute context keeps the answer unambiguous.
		return c.origin + c.rt.base + "$metadata" + fragment
	}
	// The request path below the service root has depth "/"-separated
	// segments; the base of a relative reference is its last directory.
	depth := strings.Count(c.rt.rest, "/")
	return strings.Repeat("../", depth) + "$metadata" + fragment
}

// nextLink is the @odata.nextLink for the query q of the current request
// path: absolute, or relative to the context URL, which is the service root's
// $metadata (so relative to the service root).
func (c *reqCtx) nextLink(query string) string {
	if !c.s.cfg.Links.RelativeNext || c.batch != nil {
		return c.origin + c.r.URL.EscapedPath() + "?" + query
	}
	rest := strings.TrimPrefix(c.r.URL.EscapedPath(), c.rt.base)
	if first, _, _ := strings.Cut(rest, "/"); strings.Contains(first, ":") {
		// RFC 3986 §4.2: a relative path whose first segment holds a colon
		// would read as a scheme; "./" keeps it a path.
		rest = "./" + rest
	}
	return rest + "?" + query
}

// ParseLinkForms reads the --links flag: "random" (or empty) for nil, or a
// comma-separated list of relative-next, relative-context and skip-paging
// ("absolute" alone for none of them).
func ParseLinkForms(s string) (*LinkForms, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "random" {
		return nil, nil
	}
	var f LinkForms
	for _, w := range strings.Split(s, ",") {
		switch strings.TrimSpace(w) {
		case "absolute":
		case "relative-next":
			f.RelativeNext = true
		case "relative-context":
			f.RelativeContext = true
		case "skip-paging":
			f.SkipPaging = true
		default:
			return nil, fmt.Errorf("link form %q: want random, absolute, relative-next, relative-context or skip-paging", w)
		}
	}
	return &f, nil
}

// Flag is the --links value that selects f.
func (f LinkForms) Flag() string {
	var w []string
	if f.RelativeNext {
		w = append(w, "relative-next")
	}
	if f.RelativeContext {
		w = append(w, "relative-context")
	}
	if f.SkipPaging {
		w = append(w, "skip-paging")
	}
	if len(w) == 0 {
		return "absolute"
	}
	return strings.Join(w, ",")
}
