#!/usr/bin/env node
// Times ONNX Runtime (onnxruntime-node 1.30) on inputs dumped by `reco bench-model --dump-io DIR`, so both
// engines see identical bytes. For each batch folder DIR/b<N>/ (inputs.json + <input>.bin, raw little-endian):
// warms up, times `session.run` with process.hrtime around the call, times an empty async call the same way
// (the Node binding/await overhead, reported separately), writes ORT's outputs as ort_<output>.bin and prints
// one JSON line per batch. Usage: node bench_ort.js model.onnx DIR runs [intra_op_threads]
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, bool: Uint8Array };

function loadInputs(dir) {
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
  const feeds = {};
  for (const t of spec.inputs) {
    const buf = fs.readFileSync(path.join(dir, t.name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.bin'));
    const Ctor = TYPED[t.dtype];
    if (!Ctor) throw new Error(`unsupported dtype ${t.dtype} for input ${t.name}`);
    const data = new Ctor(buf.buffer, buf.byteOffset, buf.byteLength / Ctor.BYTES_PER_ELEMENT);
    feeds[t.name] = new ort.Tensor(t.dtype === 'bool' ? 'bool' : t.dtype, data, t.shape);
  }
  return { spec, feeds };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeIt(fn, runs) {
  const us = new Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  us.sort((a, b) => a - b);
  return { median: percentile(us, 50), p99: percentile(us, 99) };
}

async function main() {
  const [modelPath, root, runsArg, threadsArg] = process.argv.slice(2);
  if (!modelPath || !root) {
    console.error('usage: node bench_ort.js model.onnx DIR runs [intra_op_threads]');
    process.exit(2);
  }
  const runs = Number(runsArg || 200);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: Number(threadsArg || 1),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const batches = fs.readdirSync(root).filter((d) => /^b\d+$/.test(d)).sort((a, b) => a.slice(1) - b.slice(1));
  for (const b of batches) {
    const dir = path.join(root, b);
    const { feeds } = loadInputs(dir);
    let out;
    for (let i = 0; i < Math.min(20, runs); i++) out = await session.run(feeds);  // warm up
    const run = await timeIt(async () => { out = await session.run(feeds); }, runs);
    const empty = await timeIt(async () => {}, runs);
    for (const [name, t] of Object.entries(out)) {
      fs.writeFileSync(path.join(dir, 'ort_' + name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.bin'),
                       Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
    console.log(JSON.stringify({ batch: Number(b.slice(1)), median_us: run.median, p99_us: run.p99,
                                 runs_per_s: 1e6 / run.median, node_overhead_us: empty.median }));
  }
}

main().catch((e) => { console.error(`bench_ort: ${e.message}`); process.exit(1); });
