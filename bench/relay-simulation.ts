/**
 * `npx tsx bench/relay-simulation.ts [--users 10000] [--write]`: the relay's poll scheduling on a
 * virtual clock. It drives the relay's own planner (`desiredIntervalMs`, `quotaStretch`,
 * `nextPollDelayMs`, `updatedPollCost` from src/relay/polling/poll-planner.ts) for a fleet of users
 * over simulated days and reports what the quota allows: users per app quota at 5, 15 and 60
 * minute freshness, calls per user-day, the busiest hour, and the p50/p99 delay from "Dexcom has
 * it" to "webhook delivered" (a poll that finds a record delivers it; delivery itself is taken
 * as 1 s). `--write` replaces the "Relay scheduling simulation" section at the end of BENCHMARKS.md.
 *
 * Users: 70 % active (their phone uploads every 5 minutes), 15 % late uploaders (their phone
 * uploads everything it holds every 2 to 8 hours), 15 % idle (no data all day). A poll costs what
 * the relay's sync spends: dataRange, one window per type with new data, one for alerts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_MAX_IDLE_INTERVAL_MS,
  DEFAULT_POLL_COST,
  DEFAULT_QUOTA_HEADROOM,
  DEFAULT_QUOTA_PER_HOUR,
  desiredIntervalMs,
  nextPollDelayMs,
  quotaStretch,
  updatedPollCost,
} from '../src/relay/polling/poll-planner.js';
import { SCHEDULER_TICK_MS } from '../src/relay/polling/poll-scheduler.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DELIVERY_MS = 1_000;

type Kind = 'active' | 'late' | 'idle';

interface SimUser {
  readonly kind: Kind;
  /** Next time new records reach Dexcom, and the earliest record time not yet polled. */
  nextUploadAt: number;
  pendingSince: number | undefined;
  pendingCount: number;
  lastDataAt: number;
  cost: number;
  desired: number;
  nextPollAt: number;
}

/** A seeded PRNG (mulberry32), so runs are repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A min-heap of users by next poll time. */
class PollHeap {
  readonly items: SimUser[] = [];
  push(user: SimUser): void {
    const a = this.items;
    a.push(user);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.nextPollAt <= a[i]!.nextPollAt) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): SimUser | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.nextPollAt < a[m]!.nextPollAt) m = l;
        if (r < a.length && a[r]!.nextPollAt < a[m]!.nextPollAt) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  peek(): SimUser | undefined {
    return this.items[0];
  }
}

/** What one simulated run measured. */
export interface SimulationResult {
  readonly users: number;
  readonly pollIntervalMin: number;
  readonly stretch: number;
  readonly callsPerUserDay: number;
  readonly callsPerUserDayByKind: Record<Kind, number>;
  readonly busiestHourCalls: number;
  readonly budgetPerHour: number;
  readonly p50DelayMin: number;
  readonly p99DelayMin: number;
  readonly p99DelayMinActive: number;
}

/** Runs `days` simulated days (the first one warms up and is not measured). */
export function simulate(users: number, pollIntervalMs: number, days = 3, seed = 42): SimulationResult {
  const random = prng(seed);
  const settings = { pollIntervalMs, maxIdleIntervalMs: Math.max(pollIntervalMs, DEFAULT_MAX_IDLE_INTERVAL_MS), quotaPerHour: DEFAULT_QUOTA_PER_HOUR, headroom: DEFAULT_QUOTA_HEADROOM };
  const fleet: SimUser[] = [];
  const heap = new PollHeap();
  for (let i = 0; i < users; i++) {
    const r = random();
    const kind: Kind = r < 0.7 ? 'active' : r < 0.85 ? 'late' : 'idle';
    const user: SimUser = {
      kind,
      nextUploadAt: kind === 'active' ? random() * 5 * MINUTE : kind === 'late' ? random() * 8 * HOUR : Number.POSITIVE_INFINITY,
      pendingSince: undefined,
      pendingCount: 0,
      lastDataAt: 0,
      cost: DEFAULT_POLL_COST,
      desired: pollIntervalMs,
      nextPollAt: random() * pollIntervalMs,
    };
    fleet.push(user);
    heap.push(user);
  }
  // Σ cost / desired interval, kept up to date as users change (the relay reads it from poll_state).
  let demandPerMs = fleet.reduce((sum, u) => sum + u.cost / u.desired, 0);
  let stretch = quotaStretch(demandPerMs * HOUR, settings);
  let nextTick = SCHEDULER_TICK_MS;
  const end = days * DAY;
  const measureFrom = DAY;
  const callsByHour = new Map<number, number>();
  const callsByKind: Record<Kind, number> = { active: 0, late: 0, idle: 0 };
  const usersByKind: Record<Kind, number> = { active: 0, late: 0, idle: 0 };
  for (const u of fleet) usersByKind[u.kind]++;
  const delays: number[] = [];
  const activeDelays: number[] = [];
  let calls = 0;
  for (;;) {
    const user = heap.peek();
    if (!user || user.nextPollAt >= end) break;
    heap.pop();
    const now = user.nextPollAt;
    while (nextTick <= now) {
      stretch = quotaStretch(demandPerMs * HOUR, settings);
      nextTick += SCHEDULER_TICK_MS;
    }
    // Uploads that reached Dexcom since the last poll: each record's "Dexcom has it" time.
    let found = 0;
    while (user.nextUploadAt <= now) {
      const upload = user.nextUploadAt;
      if (user.kind === 'active') {
        found++;
        if (upload >= measureFrom) (delays.push(now + DELIVERY_MS - upload), activeDelays.push(now + DELIVERY_MS - upload));
        user.nextUploadAt += 5 * MINUTE;
      } else {
        // A late uploader's phone sends every reading it held, all at once.
        const held = Math.max(1, Math.round((upload - (user.pendingSince ?? upload - 4 * HOUR)) / (5 * MINUTE)));
        found += held;
        if (upload >= measureFrom) for (let k = 0; k < held; k++) delays.push(now + DELIVERY_MS - upload);
        user.pendingSince = upload;
        user.nextUploadAt += (2 + 6 * random()) * HOUR;
      }
    }
    const pollCalls = found > 0 ? 3 : 2; // dataRange + alerts, + the EGV window when there is data
    calls++;
    if (now >= measureFrom) {
      callsByHour.set(Math.floor(now / HOUR), (callsByHour.get(Math.floor(now / HOUR)) ?? 0) + pollCalls);
      callsByKind[user.kind] += pollCalls;
    }
    if (found > 0) user.lastDataAt = now;
    demandPerMs -= user.cost / user.desired;
    user.cost = updatedPollCost(user.cost, pollCalls, 4);
    user.desired = desiredIntervalMs(now - user.lastDataAt, settings);
    demandPerMs += user.cost / user.desired;
    user.nextPollAt = now + nextPollDelayMs(user.desired, stretch, random);
    heap.push(user);
  }
  const measuredDays = (end - measureFrom) / DAY;
  const totalCalls = callsByKind.active + callsByKind.late + callsByKind.idle;
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const pct = (values: number[], p: number) => values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? 0;
  sorted(delays);
  sorted(activeDelays);
  void calls;
  return {
    users,
    pollIntervalMin: pollIntervalMs / MINUTE,
    stretch: Math.round(stretch * 100) / 100,
    callsPerUserDay: Math.round((totalCalls / users / measuredDays) * 10) / 10,
    callsPerUserDayByKind: {
      active: Math.round((callsByKind.active / Math.max(1, usersByKind.active) / measuredDays) * 10) / 10,
      late: Math.round((callsByKind.late / Math.max(1, usersByKind.late) / measuredDays) * 10) / 10,
      idle: Math.round((callsByKind.idle / Math.max(1, usersByKind.idle) / measuredDays) * 10) / 10,
    },
    busiestHourCalls: Math.max(...callsByHour.values()),
    budgetPerHour: DEFAULT_QUOTA_PER_HOUR * (1 - DEFAULT_QUOTA_HEADROOM),
    p50DelayMin: Math.round((pct(delays, 0.5) / MINUTE) * 10) / 10,
    p99DelayMin: Math.round((pct(delays, 0.99) / MINUTE) * 10) / 10,
    p99DelayMinActive: Math.round((pct(activeDelays, 0.99) / MINUTE) * 10) / 10,
  };
}

/**
 * Users one app quota serves at a freshness without stretching: the polls' budget per day divided
 * by what one user of this mix costs per day when nothing is stretched (measured on 1,000 users).
 */
export function usersPerQuota(pollIntervalMs: number): number {
  const sample = simulate(1_000, pollIntervalMs, 2);
  const budgetPerDay = DEFAULT_QUOTA_PER_HOUR * (1 - DEFAULT_QUOTA_HEADROOM) * 24;
  return Math.floor(budgetPerDay / sample.callsPerUserDay / 100) * 100;
}

function section(results: SimulationResult[], capacity: Array<[number, number]>, users: number): string {
  const rows = results.map(
    (r) =>
      `| ${r.pollIntervalMin} min | ${r.users.toLocaleString('en-US')} | ${r.stretch}× | ${r.callsPerUserDay} (active ${r.callsPerUserDayByKind.active}, late ${r.callsPerUserDayByKind.late}, idle ${r.callsPerUserDayByKind.idle}) | ${r.busiestHourCalls.toLocaleString('en-US')} / ${r.budgetPerHour.toLocaleString('en-US')} | ${r.p50DelayMin} min | ${r.p99DelayMin} min | ${r.p99DelayMinActive} min |`,
  );
  const maxShare = Math.round(Math.max(...results.map((r) => r.busiestHourCalls / r.budgetPerHour)) * 1000) / 10;
  const maxQuotaShare = Math.round(Math.max(...results.map((r) => r.busiestHourCalls / DEFAULT_QUOTA_PER_HOUR)) * 1000) / 10;
  const cap = capacity.map(([interval, n]) => `| ${interval} min | ${n.toLocaleString('en-US')} |`);
  return `## 6. Relay scheduling simulation (\`bench/relay-simulation.ts\`)

The relay's own poll planner (src/relay/polling/poll-planner.ts: idle back-off, quota stretch re-measured every ${SCHEDULER_TICK_MS / 1000} s, ±10 % jitter) on a virtual clock, ${users.toLocaleString('en-US')} users for 3 days (day 1 warms up; days 2 and 3 are measured). Mix: 70 % active (a reading reaches Dexcom every 5 minutes), 15 % late uploaders (the phone uploads everything it held every 2 to 8 hours), 15 % idle (no data). A poll costs dataRange + alerts (2 calls), plus the EGV window when there is new data (3). Quota 60,000 calls per hour with 20 % headroom: polls may use 48,000. Delay is "Dexcom has it" → "webhook delivered" per record (delivery taken as 1 s after the poll).

| poll interval | users | quota stretch | calls per user-day | busiest hour / budget | p50 delay | p99 delay (all) | p99 delay (active) |
| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Users one app quota serves at a freshness without stretching (the polls' daily budget ÷ one user's calls per day, measured on 1,000 users of the same mix):

| freshness (poll interval) | users per app quota |
| --- | ---: |
${cap.join('\n')}

With more users than that, every interval stretches by the same factor, so freshness degrades evenly instead of ending in 429s: the busiest hour stayed at ${maxShare}% of the polls' budget at most, that is ${maxQuotaShare}% of the quota, inside the headroom (the stretch follows the measured cost of each user's polls, which lags a little behind a user turning active). Idle users cost 2 calls an hour or less (back-off to 60 minutes after an hour without data); a late uploader's batch is found within its back-off interval. Tidepool polls every 2 h ± 15 min: 12 polls per user-day, and a reading waits up to 2¼ hours (about an hour on average).
`;
}

const isMain = process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const argUsers = process.argv.indexOf('--users');
  const users = argUsers > 0 ? Number(process.argv[argUsers + 1]) : 10_000;
  const t = performance.now();
  const results = [5, 15, 60].map((min) => simulate(users, min * MINUTE));
  const capacity: Array<[number, number]> = [5, 15, 60].map((min) => [min, usersPerQuota(min * MINUTE)]);
  const text = section(results, capacity, users);
  console.log(text);
  console.log(`simulated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  if (process.argv.includes('--write')) {
    const path = new URL('../BENCHMARKS.md', import.meta.url);
    const current = readFileSync(path, 'utf8');
    const at = current.indexOf('## 6. Relay scheduling simulation');
    writeFileSync(path, `${(at >= 0 ? current.slice(0, at) : `${current.trimEnd()}\n\n`)}${text}`);
  }
}
