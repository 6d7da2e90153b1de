// Measures how fast an npm X12 parser reads FILE; prints one JSON line.
// usage: node bench.js x12-parser|node-x12 FILE
'use strict'
const fs = require('fs')

const [which, file] = process.argv.slice(2)
if (!which || !file) {
  console.error('usage: node bench.js x12-parser|node-x12 FILE')
  process.exit(2)
}
const bytes = fs.statSync(file).size
let peakRss = 0
const sample = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 50)
const start = process.hrtime.bigint()
const cpu0 = process.cpuUsage()

function done (segments) {
  clearInterval(sample)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  process.stdout.write(JSON.stringify({
    parser: which, bytes, segments, seconds, cpu_seconds: cpuSeconds,
    mb_per_s: bytes / 1e6 / seconds, cpu_mb_per_s: bytes / 1e6 / cpuSeconds, peak_rss_mb: peakRss / 1e6
  }) + '\n')
}

if (which === 'x12-parser') {
  const { X12parser } = require('x12-parser')
  let segments = 0
  const p = new X12parser()
  p.on('error', (e) => { console.error(e); process.exit(1) })
  fs.createReadStream(file).pipe(p).on('data', () => { segments++ }).on('end', () => done(segments))
} else if (which === 'node-x12') {
  const { X12Parser } = require('node-x12')
  const parsed = new X12Parser(true).parse(fs.readFileSync(file, 'utf8'))
  let segments = 0
  const ics = parsed.interchanges ? parsed.interchanges : [parsed]
  for (const ic of ics) {
    segments += 2
    for (const g of ic.functionalGroups) {
      segments += 2
      for (const t of g.transactions) segments += t.segments.length + 2
    }
  }
  done(segments)
} else {
  console.error('unknown parser ' + which)
  process.exit(2)
}
