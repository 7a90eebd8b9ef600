// Decodes an `hpcmon trace export --format otlp` file with OpenTelemetry's own protobuf types
// (@opentelemetry/otlp-transformer's generated root: ExportTraceServiceRequest) and checks it.
// Usage: node otlp_check.js FILE.json EXPECTED_SPANS EXPECTED_RESOURCES
// OTLP/JSON differs from protobuf's JSON mapping in one way that matters here: trace and span
// ids are hex, not base64 (the OTLP specification); they are converted before fromObject.
'use strict';
const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const [file, wantSpans, wantResources] = process.argv.slice(2);
const fail = (msg) => { console.error('otlp_check: ' + msg); process.exit(1); };

const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const hex = /^[0-9a-f]+$/;
for (const rs of doc.resourceSpans || [])
  for (const ss of rs.scopeSpans || [])
    for (const s of ss.spans || []) {
      if (!hex.test(s.traceId) || s.traceId.length !== 32 || /^0+$/.test(s.traceId)) fail('bad traceId ' + s.traceId);
      if (!hex.test(s.spanId) || s.spanId.length !== 16 || /^0+$/.test(s.spanId)) fail('bad spanId ' + s.spanId);
      s.traceId = Buffer.from(s.traceId, 'hex').toString('base64');
      s.spanId = Buffer.from(s.spanId, 'hex').toString('base64');
    }
const message = Request.fromObject(doc);
const problem = Request.verify(message);
if (problem) fail('verify: ' + problem);
// Through the wire format and back: what a collector would receive.
const decoded = Request.decode(Request.encode(message).finish());
const traceIds = new Set(), spanIds = new Set();
let spans = 0;
for (const rs of decoded.resourceSpans) {
  const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value]));
  if (!attrs['service.name'] || attrs['service.name'].stringValue !== 'hpcmon-mpi') fail('resource without service.name');
  if (!attrs['mpi.rank']) fail('resource without mpi.rank');
  for (const ss of rs.scopeSpans)
    for (const s of ss.spans) {
      ++spans;
      if (s.traceId.length !== 16 || s.spanId.length !== 8) fail('id lengths after decoding');
      traceIds.add(Buffer.from(s.traceId).toString('hex'));
      const id = Buffer.from(s.spanId).toString('hex');
      if (spanIds.has(id)) fail('duplicate span id ' + id);
      spanIds.add(id);
      const start = BigInt(s.startTimeUnixNano.toString()), end = BigInt(s.endTimeUnixNano.toString());
      if (start <= 0n || end < start) fail(`span ${s.name}: times ${start}..${end}`);
      if (!s.name.startsWith('MPI_')) fail('span name ' + s.name);
      const keys = s.attributes.map((a) => a.key);
      for (const k of ['mpi.peer', 'mpi.tag', 'mpi.bytes', 'mpi.comm']) if (!keys.includes(k)) fail(`span without ${k}`);
    }
}
if (traceIds.size !== 1) fail(`${traceIds.size} trace ids, expected one per job`);
if (spans !== Number(wantSpans)) fail(`${spans} spans, expected ${wantSpans}`);
if (decoded.resourceSpans.length !== Number(wantResources)) fail(`${decoded.resourceSpans.length} resources, expected ${wantResources}`);
console.log(`otlp_check: ok: ${spans} spans in ${decoded.resourceSpans.length} resources, trace ${[...traceIds][0]}`);
