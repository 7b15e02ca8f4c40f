#!/usr/bin/env node
// The reference server for bench/model_server_vs_node_ort.sh: a minimal Node.js TF-Serving-style REST server
// (node:http + onnxruntime-node) doing the same work as reco-model-server for columnar requests:
// parse JSON -> typed tensors -> session.run -> JSON. Bench only, never in the product.
// Usage: node server.js PORT NAME=model.onnx [NAME=model.onnx ...]
'use strict';
const http = require('http');
const ort = require('onnxruntime-node');

const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array };

function flatten(value, out) {
  if (Array.isArray(value)) { for (const v of value) flatten(v, out); } else { out.push(value); }
}
function shapeOf(value) {
  const s = [];
  for (let v = value; Array.isArray(v); v = v[0]) s.push(v.length);
  return s;
}
function nest(data, shape, offset = 0, dim = 0) {
  if (dim === shape.length) return typeof data[offset] === 'bigint' ? Number(data[offset]) : data[offset];
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out = new Array(shape[dim]);
  for (let i = 0; i < shape[dim]; i++) out[i] = nest(data, shape, offset + i * stride, dim + 1);
  return out;
}

async function main() {
  const [port, ...specs] = process.argv.slice(2);
  const models = {};
  for (const spec of specs) {
    const [name, path] = spec.split('=');
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const dtypes = {};
    for (const meta of session.inputMetadata) dtypes[meta.name] = meta.type;
    models[name] = { session, dtypes };
  }
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const reply = (code, obj) => {
        const body = JSON.stringify(obj);
        res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
      try {
        const m = /^\/v1\/models\/([^/:]+):predict$/.exec(req.url);
        const model = m && models[m[1]];
        if (!model) return reply(404, { error: 'unknown model' });
        const body = JSON.parse(Buffer.concat(chunks).toString());
        const feeds = {};
        for (const [name, value] of Object.entries(body.inputs)) {
          const type = model.dtypes[name];
          const flat = [];
          flatten(value, flat);
          const Ctor = TYPED[type];
          feeds[name] = new ort.Tensor(type, type === 'int64' ? Ctor.from(flat, BigInt) : Ctor.from(flat),
                                       shapeOf(value));
        }
        const out = await model.session.run(feeds);
        const names = Object.keys(out);
        if (names.length === 1) return reply(200, { outputs: nest(out[names[0]].data, out[names[0]].dims) });
        const outputs = {};
        for (const n of names) outputs[n] = nest(out[n].data, out[n].dims);
        reply(200, { outputs });
      } catch (e) {
        reply(400, { error: String(e.message || e) });
      }
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(Number(port), '127.0.0.1', () => console.error(`node ort server on ${port}`));
}

main().catch((e) => { console.error(e); process.exit(1); });
