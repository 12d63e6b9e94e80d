/**
 * A deterministic fake of Dexcom's v3 data API for tests and benchmarks: `FakeDexcomData` computes
 * records for any window (nothing is stored, so years of data cost nothing), and
 * `startFakeDexcomServer` serves it over node:http on 127.0.0.1 with Dexcom's request rules.
 *
 * Data: an EGV every 5 minutes, a calibration every 12 hours, an event every 6 hours and an alert
 * every 8 hours, on grids aligned to the epoch (so ids do not depend on the data start), in
 * `[dataStart, dataEnd)`. Each recordId is derived from its type and time. Timestamp forms are mixed
 * as in Dexcom's samples: EGV systemTime without offset, calibrations `+00:00`, events `Z`, alerts
 * `Z` with milliseconds; displayTime always carries a -05:00 offset.
 *
 * Scripted changes: `revise` patches a record, `deleteEvent` marks an event deleted, `setDataEnd`
 * makes new records appear "later". dataRange reflects the data (and `lastSyncTime`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert, Calibration, DataRangeBounds, DataRangeResponse, Egv, Event } from '../../generated/types.gen.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DISPLAY_OFFSET_MS = -5 * HOUR;
const TRANSMITTER_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** The four windowed record types the fake serves. */
export type FakeRecordType = 'egvs' | 'calibrations' | 'events' | 'alerts';

interface FakeRecordMap {
  egvs: Egv;
  calibrations: Calibration;
  events: Event;
  alerts: Alert;
}

/** Grid of each type: interval and phase (offset from the epoch-aligned grid). */
const GRID: Record<FakeRecordType, { every: number; phase: number }> = {
  egvs: { every: 5 * MINUTE, phase: 0 },
  calibrations: { every: 12 * HOUR, phase: 7 * MINUTE + 11_000 },
  events: { every: 6 * HOUR, phase: 95 * MINUTE + 12_000 },
  alerts: { every: 8 * HOUR, phase: 40 * MINUTE + 25_438 },
};

/** Options of {@link FakeDexcomData}. */
export interface FakeDexcomDataOptions {
  /** No record before this time. */
  dataStart: Date;
  /** Records exist strictly before this time; move it with `setDataEnd`. */
  dataEnd: Date;
}

/** The fake account's data: deterministic records for any window, plus scripted changes. */
export class FakeDexcomData {
  readonly dataStart: number;
  #dataEnd: number;
  readonly #revisions = new Map<string, Record<string, unknown>>();

  constructor(options: FakeDexcomDataOptions) {
    this.dataStart = options.dataStart.getTime();
    this.#dataEnd = options.dataEnd.getTime();
  }

  /** Exclusive end of the data. */
  get dataEnd(): number {
    return this.#dataEnd;
  }

  /** New records appear up to `end` ("data uploaded later"); moving it back hides them again. */
  setDataEnd(end: Date): void {
    this.#dataEnd = end.getTime();
  }

  /** Replaces fields of one record from now on (a value revised after the fact, an edited event). */
  revise(recordId: string, patch: Record<string, unknown>): void {
    this.#revisions.set(recordId, { ...this.#revisions.get(recordId), ...patch });
  }

  /** Marks an event deleted, as Dexcom does: same id, `eventStatus: 'deleted'`. */
  deleteEvent(recordId: string): void {
    this.revise(recordId, { eventStatus: 'deleted' });
  }

  /** The recordId of the record of `type` at `timeMs` (a grid time). */
  static recordIdOf(type: FakeRecordType, timeMs: number): string {
    return `${type}-${timeMs}`;
  }

  /** Grid times of `type` in `[fromMs, toMs)` (intersected with the data span). */
  timesIn(type: FakeRecordType, fromMs: number, toMs: number): number[] {
    const { every, phase } = GRID[type];
    const from = Math.max(fromMs, this.dataStart);
    const to = Math.min(toMs, this.#dataEnd);
    const times: number[] = [];
    for (let t = Math.ceil((from - phase) / every) * every + phase; t < to; t += every) times.push(t);
    return times;
  }

  /** Every record of `type` with a time in `[fromMs, toMs)`, oldest first, with revisions applied. */
  recordsIn<T extends FakeRecordType>(type: T, fromMs: number, toMs: number): FakeRecordMap[T][] {
    return this.timesIn(type, fromMs, toMs).map((t) => this.recordAt(type, t));
  }

  /** The record of `type` at grid time `t`, with revisions applied. */
  recordAt<T extends FakeRecordType>(type: T, t: number): FakeRecordMap[T] {
    const base = BUILDERS[type](t) as unknown as Record<string, unknown>;
    const revision = this.#revisions.get(base.recordId as string);
    return (revision ? { ...base, ...revision } : base) as unknown as FakeRecordMap[T];
  }

  /** dataRange as Dexcom answers it; with `lastSyncTimeMs`, only data newer than it. */
  dataRange(lastSyncTimeMs?: number): DataRangeResponse {
    const bounds = (type: FakeRecordType): DataRangeBounds | null => {
      const from = Math.max(this.dataStart, lastSyncTimeMs === undefined ? this.dataStart : lastSyncTimeMs + 1);
      const { every } = GRID[type];
      const first = this.timesIn(type, from, from + every)[0];
      const last = this.timesIn(type, this.#dataEnd - every, this.#dataEnd).at(-1);
      if (first === undefined || last === undefined || last < first) return null;
      // Mixed forms, as Dexcom's own dataRange sample has them.
      return {
        start: { systemTime: plain(first), displayTime: withOffset(first) },
        end: { systemTime: `${plain(last)}Z`, displayTime: withOffset(last) },
      };
    };
    return {
      recordType: 'dataRange',
      recordVersion: '3.0',
      userId: 'fake-user',
      egvs: bounds('egvs'),
      calibrations: bounds('calibrations'),
      events: bounds('events'),
    };
  }
}

const BUILDERS: { [K in FakeRecordType]: (t: number) => FakeRecordMap[K] } = {
  egvs: (t) => {
    const value = Math.round(120 + 60 * Math.sin((2 * Math.PI * t) / (7 * HOUR)));
    return {
      recordId: FakeDexcomData.recordIdOf('egvs', t),
      systemTime: plain(t),
      displayTime: withOffset(t),
      transmitterId: TRANSMITTER_ID,
      transmitterTicks: Math.floor(t / 1000) % 864_000,
      value,
      status: null,
      trend: 'flat',
      trendRate: 0.2,
      unit: 'mg/dL',
      rateUnit: 'mg/dL/min',
      displayDevice: 'iOS',
      transmitterGeneration: 'g7',
      displayApp: 'G7',
    };
  },
  calibrations: (t) => ({
    recordId: FakeDexcomData.recordIdOf('calibrations', t),
    systemTime: `${plain(t)}+00:00`,
    displayTime: withOffset(t),
    unit: 'mg/dL',
    value: 100 + (Math.floor(t / DAY) % 40),
    displayDevice: 'receiver',
    transmitterId: TRANSMITTER_ID,
    transmitterTicks: Math.floor(t / 1000) % 864_000,
    transmitterGeneration: 'g6',
  }),
  events: (t) => {
    const carbs = Math.floor(t / (6 * HOUR)) % 2 === 0;
    return {
      recordId: FakeDexcomData.recordIdOf('events', t),
      systemTime: `${plain(t)}Z`,
      displayTime: withOffset(t),
      eventStatus: 'created',
      eventType: carbs ? 'carbs' : 'insulin',
      eventSubType: carbs ? null : 'fastActing',
      value: carbs ? 45 : '4.5',
      unit: carbs ? 'grams' : 'units',
      transmitterId: TRANSMITTER_ID,
      transmitterGeneration: 'g7',
      displayDevice: 'android',
    };
  },
  alerts: (t) => ({
    recordId: FakeDexcomData.recordIdOf('alerts', t),
    systemTime: new Date(t).toISOString(),
    displayTime: withOffset(t),
    alertName: 'high',
    alertState: 'activeAlarming',
    displayDevice: 'iOS',
    transmitterGeneration: 'g7',
    transmitterId: TRANSMITTER_ID,
    displayApp: 'G7',
  }),
};

/** `YYYY-MM-DDTHH:mm:ss` in UTC, the form of receiver records (and of startDate/endDate). */
function plain(t: number): string {
  return new Date(t).toISOString().slice(0, 19);
}

/** Local time with an explicit offset, as phone apps send displayTime. */
function withOffset(t: number): string {
  return `${new Date(t + DISPLAY_OFFSET_MS).toISOString().slice(0, 19)}-05:00`;
}

/** One request the fake received. */
export interface FakeRequest {
  /** `egvs`, `calibrations`, `events`, `alerts`, `dataRange`, or the raw path for anything else. */
  readonly kind: FakeRecordType | 'dataRange' | string;
  /** The query parameters, as sent. */
  readonly query: Readonly<Record<string, string>>;
  /** The HTTP status the fake answered (set once answered). */
  status?: number;
}

/** Options of {@link startFakeDexcomServer}. */
export interface FakeDexcomServerOptions extends FakeDexcomDataOptions {
  /** Longest window one request may cover, in days, as Dexcom enforces it. Default 30 (v3). */
  maxWindowDays?: number;
  /** Delay before each answer, so concurrent requests overlap. Default 0. */
  latencyMs?: number;
  /** Called when a request arrives, before it is answered; may wait (e.g. to abort the client mid-request). */
  onRequest?: (request: FakeRequest) => void | Promise<void>;
}

/** A running fake server. */
export interface FakeDexcomServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The data it serves; script changes through it. */
  readonly data: FakeDexcomData;
  /** Every request received, oldest first. */
  readonly requests: FakeRequest[];
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** The most requests ever handled at the same time. */
  readonly maxInFlight: number;
  /** Forgets the request log and the in-flight peak. */
  resetCounters(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const DEXCOM_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const LAST_SYNC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$/;
const RECORD_PATHS = new Map<string, FakeRecordType>([
  ['/v3/users/self/egvs', 'egvs'],
  ['/v3/users/self/calibrations', 'calibrations'],
  ['/v3/users/self/events', 'events'],
  ['/v3/users/self/alerts', 'alerts'],
]);

/**
 * Starts the fake on 127.0.0.1 (a free port). It checks the bearer token (401 without one),
 * startDate/endDate (present, `YYYY-MM-DDTHH:mm:ss`, end after start, at most `maxWindowDays`: 400
 * otherwise) and lastSyncTime's form, counts requests and concurrent requests, and serves windows
 * as Dexcom does: records with `startDate <= systemTime <= endDate` (alerts: end exclusive).
 *
 * @example
 * const server = await startFakeDexcomServer({ dataStart: new Date('2024-01-01Z'), dataEnd: new Date('2024-03-01Z') });
 * const dexcom = new DexcomApiClient({ baseUrl: server.url, accessToken: 'fake' });
 * await server.close();
 */
export async function startFakeDexcomServer(options: FakeDexcomServerOptions): Promise<FakeDexcomServer> {
  const data = new FakeDexcomData(options);
  const maxWindowMs = (options.maxWindowDays ?? 30) * DAY;
  let requests: FakeRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const type = RECORD_PATHS.get(url.pathname);
    const kind = type ?? (url.pathname === '/v3/users/self/dataRange' ? 'dataRange' : url.pathname);
    const request: FakeRequest = { kind, query: Object.fromEntries(url.searchParams) };
    requests.push(request);
    await options.onRequest?.(request);
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const answer = (status: number, body: unknown): void => {
      request.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return answer(401, { error: 'unauthorized' });
    if (req.method !== 'GET') return answer(405, { error: 'method_not_allowed' });
    if (kind === 'dataRange') {
      const since = url.searchParams.get('lastSyncTime');
      if (since !== null && !LAST_SYNC_TIME.test(since)) return answer(400, { error: 'invalid_request', message: 'lastSyncTime' });
      // Without an offset the time is read as UTC, like startDate/endDate.
      return answer(200, data.dataRange(since === null ? undefined : Date.parse(since.length === 19 ? `${since}Z` : since)));
    }
    if (!type) return answer(404, { error: 'not_found' });
    const startDate = url.searchParams.get('startDate') ?? '';
    const endDate = url.searchParams.get('endDate') ?? '';
    if (!DEXCOM_DATE.test(startDate) || !DEXCOM_DATE.test(endDate)) return answer(400, { error: 'invalid_request', message: 'startDate/endDate format' });
    const from = Date.parse(`${startDate}Z`);
    const to = Date.parse(`${endDate}Z`);
    if (!(to > from)) return answer(400, { error: 'invalid_request', message: 'endDate must be after startDate' });
    if (to - from > maxWindowMs) return answer(400, { error: 'invalid_request', message: 'the window is longer than allowed' });
    // Dexcom's bounds: alerts are end-exclusive; the other types are served end-inclusive here, so a
    // record on a boundary comes back in two consecutive windows and the client must keep it once.
    const records = data.recordsIn(type, from, type === 'alerts' ? to : to + 1000);
    return answer(200, { recordType: type.replace(/s$/, ''), recordVersion: '3.0', userId: 'fake-user', records });
  };

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('close', finish);
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    data,
    get requests() {
      return requests;
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetCounters() {
      requests = [];
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
