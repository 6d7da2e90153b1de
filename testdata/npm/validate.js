// Parses one X12 file with node-x12 (strict) and prints what it saw as JSON,
// so Go tests can compare our writer's output with an independent parser.
// usage: node validate.js FILE
'use strict'
const fs = require('fs')
const { X12Parser } = require('node-x12')

const file = process.argv[2]
if (!file) {
  console.error('usage: node validate.js FILE')
  process.exit(2)
}
try {
  const edi = fs.readFileSync(file, 'utf8')
  const parsed = new X12Parser(true).parse(edi)
  const interchanges = parsed.interchanges ? parsed.interchanges : [parsed]
  const out = interchanges.map((ic) => ({
    sender_qualifier: ic.header.valueOf(5).trim(),
    sender_id: ic.header.valueOf(6).trim(),
    receiver_qualifier: ic.header.valueOf(7).trim(),
    receiver_id: ic.header.valueOf(8).trim(),
    control_number: ic.header.valueOf(13),
    groups: ic.functionalGroups.map((g) => ({
      functional_id: g.header.valueOf(1),
      control_number: g.header.valueOf(6),
      version: g.header.valueOf(8),
      trailer_count: g.trailer.valueOf(1),
      sets: g.transactions.map((t) => ({
        id: t.header.valueOf(1),
        control_number: t.header.valueOf(2),
        trailer_count: t.trailer.valueOf(1),
        segments: t.segments.map((s) => [s.tag].concat(s.elements.map((e) => e.value)))
      }))
    }))
  }))
  process.stdout.write(JSON.stringify({ ok: true, interchanges: out }) + '\n')
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.message ? err.message : err) }) + '\n')
  process.exit(1)
}
