/**
 * The runtime bundle's entry (dist/cjs/runtime.js): the public API plus what the preload calls
 * once telemetry is on. One file instead of ~40 (module loading was the largest start-up cost, see
 * bench/startup.mjs), and both the preload and the public entry load that one bundle, so there is
 * exactly one recorder, one catalog and one context store per process.
 */
export * from '../index';
export { beginRecording as startRecording } from '../recorder/begin';
