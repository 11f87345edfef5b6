'use strict';
// Entry file of every worker thread. In production it loads the compiled module next to it; when
// the bus runs from TypeScript sources (tests, `ts` tooling) it first registers an on-the-fly
// compiler, because worker threads do not inherit the parent's loader (Jest's or otherwise).
const { workerData } = require('node:worker_threads');

if (workerData && workerData.fromTypeScriptSources) {
  require('@swc-node/register');
}
module.exports = require(workerData.modulePath);
