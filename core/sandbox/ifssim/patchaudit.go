package ifssim

import "sync"

// The product's promise is that every IFS update reads the ETag and sends
// it in If-Match: a PATCH without one makes IFS upsert, and "If-Match: *"
// skips the concurrency check. Every sandbox in a test process records the
// PATCHes it receives here, so a package's TestMain can assert over the
// whole suite that none lacked an ETag (PatchAudit).
var patchAudit struct {
	mu        sync.Mutex
	total     int
	offenders []string
}

func recordPatch(what, ifMatch string) {
	patchAudit.mu.Lock()
	defer patchAudit.mu.Unlock()
	patchAudit.total++
	if ifMatch == "" || ifMatch == "*" {
		if len(patchAudit.offenders) < 20 {
			patchAudit.offenders = append(patchAudit.offenders, what+" (If-Match: "+ifMatch+")")
		}
	}
}

// PatchAudit returns how many PATCH/PUT requests the sandboxes of this
// process received and the first of those without a real ETag in If-Match.
func PatchAudit() (total int, withoutETag []string) {
	patchAudit.mu.Lock()
	defer patchAudit.mu.Unlock()
	return patchAudit.total, append([]string(nil), patchAudit.offenders...)
}
