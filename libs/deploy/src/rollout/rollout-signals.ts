import { Injectable } from '@nestjs/common';

export type RolloutSignal =
  | { kind: 'runnable'; rolloutId: string }
  | { kind: 'abort'; rolloutId: string }
  /** Someone approved while a step holds (a flag-release step's wait): it may move on now. */
  | { kind: 'approved'; rolloutId: string };

/**
 * In-process nudges between the API and the driver: "this rollout can move" (approved, started)
 * and "stop this one" (abort requested). Other replicas learn the same from the database on their
 * next poll; this only makes the replica that took the request react at once.
 */
@Injectable()
export class RolloutSignals {
  private readonly listeners = new Set<(signal: RolloutSignal) => void>();

  on(listener: (signal: RolloutSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(signal: RolloutSignal): void {
    for (const listener of this.listeners) listener(signal);
  }
}
