/**
 * The relay's public shapes: what `createRelay()` returns and what its HTTP API serves. The
 * management side (connections, subscriptions) and the engine side (polling, outbox, delivery)
 * both implement these; the HTTP API and the CLI use nothing else.
 */

/** The record types the relay polls and delivers. */
export type RelayRecordType = 'egvs' | 'calibrations' | 'events' | 'alerts' | 'devices';

/** Webhook event types (Standard Webhooks `type`). */
export type RelayEventType = 'records.created' | 'records.updated' | 'records.deleted';

/** Where a connected user stands. */
export type ConnectionStatus = 'pending' | 'active' | 'reauthorization_required';

/** A user the relay polls, keyed by the application's own `userKey`. */
export interface Connection {
  readonly userKey: string;
  readonly status: ConnectionStatus;
  readonly createdAt: string;
  /** When the OAuth callback stored the user's tokens. */
  readonly connectedAt: string | null;
  readonly lastPollAt: string | null;
  readonly nextPollAt: string | null;
  /** True when Dexcom refused the refresh token: the user must sign in again (`POST /v1/connections`). */
  readonly reauthorizationRequired: boolean;
  /** Short code of the last poll failure, if the last poll failed. */
  readonly lastError: string | null;
}

/** What `POST /v1/connections` answers: send the user's browser to `authorizationUrl`. */
export interface ConnectionStart {
  readonly userKey: string;
  /** Dexcom's sign-in URL with a single-use `state` bound to this user, valid for 10 minutes. */
  readonly authorizationUrl: string;
  readonly expiresAt: string;
}

/** A registered webhook endpoint. */
export interface Subscription {
  readonly id: string;
  readonly url: string;
  /** Only this user's records; null for every connected user, present and future. */
  readonly userKey: string | null;
  /** Event types delivered; null for all. */
  readonly events: readonly RelayEventType[] | null;
  /** Record types delivered; null for all. */
  readonly recordTypes: readonly RelayRecordType[] | null;
  readonly status: 'enabled' | 'disabled';
  /** Why it was disabled: `'gone'` (410), `'failing'` (five days of failures), `'manual'`. */
  readonly disabledReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A new subscription, with its signing secret: the only time the secret is returned. */
export interface CreatedSubscription extends Subscription {
  /** `whsec_` + base64 of at least 24 random bytes. */
  readonly secret: string;
}

/** Input of `POST /v1/subscriptions`. */
export interface SubscriptionInput {
  readonly url: string;
  readonly userKey?: string | null;
  readonly events?: readonly RelayEventType[] | null;
  readonly recordTypes?: readonly RelayRecordType[] | null;
}

/** Input of `PATCH /v1/subscriptions/{id}`. */
export interface SubscriptionPatch {
  readonly url?: string;
  readonly events?: readonly RelayEventType[] | null;
  readonly recordTypes?: readonly RelayRecordType[] | null;
  readonly status?: 'enabled' | 'disabled';
}

/** One delivery attempt of one event to one subscription. */
export interface DeliveryAttempt {
  readonly eventId: string;
  readonly attempt: number;
  readonly attemptedAt: string;
  /** HTTP status the receiver answered; null when there was no answer. */
  readonly status: number | null;
  readonly latencyMs: number | null;
  /** Short code of the failure (`timeout`, `connection_refused`, `ssrf_refused`, `http_500`, ...). */
  readonly error: string | null;
  /** When the next attempt is due; null after success or the last attempt. */
  readonly nextRetryAt: string | null;
}

/** The relay as a library: `createRelay()` returns one. */
export interface Relay {
  readonly connections: {
    /** Starts (or restarts) a user's OAuth sign-in. */
    create(userKey: string): Promise<ConnectionStart>;
    /** Completes the sign-in from Dexcom's redirect; refuses an unknown, expired or reused state. */
    complete(code: string, state: string): Promise<Connection>;
    get(userKey: string): Promise<Connection | undefined>;
    list(): Promise<Connection[]>;
    /** Drops the user's tokens and stops polling. Resolves false when there was no such user. */
    delete(userKey: string): Promise<boolean>;
  };
  readonly subscriptions: {
    /** Refuses a URL the SSRF guard refuses, with a reason. */
    create(input: SubscriptionInput): Promise<CreatedSubscription>;
    list(): Promise<Subscription[]>;
    get(id: string): Promise<Subscription | undefined>;
    update(id: string, patch: SubscriptionPatch): Promise<Subscription | undefined>;
    delete(id: string): Promise<boolean>;
    /** A new secret; the old one keeps signing too for 24 hours. */
    rotateSecret(id: string): Promise<{ readonly secret: string } | undefined>;
    /** Queues every stored event since `since` again (dead letters included); resolves how many. */
    replay(id: string, since: Date): Promise<{ readonly queued: number } | undefined>;
    deliveries(id: string, options?: { readonly limit?: number }): Promise<DeliveryAttempt[] | undefined>;
  };
  /** Prometheus text of the relay's metrics. */
  metrics(): Promise<string>;
  /** Starts polling and delivering. */
  start(): Promise<void>;
  /** Stops polling and delivering, waits for work in flight, closes what it opened. */
  stop(): Promise<void>;
}
