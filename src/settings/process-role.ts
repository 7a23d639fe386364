/**
 * Which of our processes this is. The shipper is started with DEVTOOL_TELEMETRY_SHIPPER=1 in its
 * environment (spool/kick.ts), so a preload inherited through NODE_OPTIONS stays idle there and
 * the child-process hook never traces it. One name, one reading, for every place that asks.
 */
export const SHIPPER_ENV = 'DEVTOOL_TELEMETRY_SHIPPER';

/** True inside our detached shipper. */
export function isShipperProcess(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SHIPPER_ENV] === '1';
}
