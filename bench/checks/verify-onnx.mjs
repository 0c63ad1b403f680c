#!/usr/bin/env node
// Replaced by a unit test that runs in CI: test/unit/onnxReference.test.ts runs both shipped ONNX models through
// src/models/onnx/ (TF.js CPU) and through onnxruntime-web (a devDependency) and asserts max |Δ| ≤ 1e-4.
// This script only runs that test.
import { spawnSync } from 'node:child_process';

const root = new URL('../..', import.meta.url);
const { status } = spawnSync('npx', ['vitest', 'run', 'test/unit/onnxReference.test.ts'], { cwd: root, stdio: 'inherit' });
process.exitCode = status ?? 1;
