/**
 * What the OTLP/HTTP specification fixes about talking to a collector, kept apart from the
 * shipper's loop: which response codes are retryable, and the User-Agent an exporter sends.
 *
 * Retryable: 429, 502, 503, 504 only ("OTLP/HTTP Throttling" / "Failures"); every other 4xx or
 * 5xx MUST NOT be retried, so the batch is dropped and counted. Network errors (no response) are
 * retried by the caller.
 */
import { distroVersionString } from '../resource/detect';

const RETRYABLE = new Set([429, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status);
}

let ua: string | undefined;

/** `devtool-telemetry/<version> (OTel-OTLP-Exporter-JavaScript)`: exporter, language, version. */
export function userAgent(): string {
  if (!ua) ua = `devtool-telemetry/${distroVersionString()} (OTel-OTLP-Exporter-JavaScript)`;
  return ua;
}
