/** One limiter-fidelity scenario: the server's limit R and the client's bucket. */
export interface FidelityScenario {
  readonly name: string;
  /** R: the server's limit per sliding second and the client's refill per second. */
  readonly rate: number;
  /** The client bucket's capacity (largest burst). */
  readonly capacity: number;
  /** Why this scenario is here. */
  readonly note: string;
}

/**
 * The scenarios, in the order reported. A token bucket with capacity C and refill R per second
 * grants at most C + R·t tokens in any window of t seconds; granted one at a time from an empty
 * bucket they are 1/R s apart, so with C = 1 no window of one second (half-open, as the server
 * counts) holds more than R. A larger C lets a burst of C land in the same second as the next R − 1.
 */
export const SCENARIOS: readonly FidelityScenario[] = [
  { name: 'R = 20/s, C = 1', rate: 20, capacity: 1, note: 'about the Dexcom app quota (60,000/h = 16.7/s); C = 1 can never exceed R in a second' },
  { name: 'R = 50/s, C = 1', rate: 50, capacity: 1, note: 'a faster quota: tokens 20 ms apart, so timer lateness weighs more' },
  { name: 'R = 20/s, C = 5', rate: 20, capacity: 5, note: 'a burst allowance the server does not grant: expect 429s' },
];
