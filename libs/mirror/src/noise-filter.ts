/** Diffy's noise thresholds, in percent as Diffy states them. */
export interface NoiseThresholds {
  /** |raw − noise| / (raw + noise) must exceed this (default 20 %). */
  relativePercent: number;
  /** |raw − noise| / requests must exceed this (default 0.03 %). */
  absolutePercent: number;
}

export const DEFAULT_NOISE_THRESHOLDS: NoiseThresholds = { relativePercent: 20, absolutePercent: 0.03 };

/**
 * Diffy's rule for one field of one endpoint: a difference between primary and candidate counts
 * only when it happens clearly more often than between two copies of the primary. `noise` may be
 * fractional when it was measured on a smaller sample and scaled to `requests`.
 */
export function isSignificant(raw: number, noise: number, requests: number, thresholds: NoiseThresholds = DEFAULT_NOISE_THRESHOLDS): boolean {
  if (requests <= 0 || raw <= noise) return false;
  const excess = raw - noise;
  return (excess / (raw + noise)) * 100 > thresholds.relativePercent && (excess / requests) * 100 > thresholds.absolutePercent;
}
