import { describe, expect, it } from 'vitest';
import { InMemoryTokenStore, MemoryCheckpointStore } from '../../src/index.js';
import { json, scriptedClient } from './scripted-client.js';

describe('sync on a forUser() view', () => {
  it("keeps the checkpoints under the view's user unless a userKey is given", async () => {
    const tokenStore = new InMemoryTokenStore();
    const now = Date.now();
    const record = { accessToken: 'at', refreshToken: 'rt', expiresAt: now + 7_200_000, environment: 'http://127.0.0.1:9', version: 1, reauthorizationRequired: false, updatedAt: now };
    expect(await tokenStore.compareAndSet('patient-7', undefined, record)).toBe(true);
    const noData = { recordType: 'dataRange', recordVersion: '3.0', userId: 'u', calibrations: null, egvs: null, events: null };
    const { dexcom, requests } = scriptedClient([json(noData)], {
      accessToken: undefined,
      oauth: { clientId: 'c', clientSecret: 's', tokenStore },
    });
    const checkpoints = new MemoryCheckpointStore();
    const handler = async () => {};

    await dexcom.forUser('patient-7').sync({ types: ['egvs'], checkpointStore: checkpoints, handler });
    expect(await checkpoints.get({ userKey: 'patient-7', type: 'egvs' })).toBeDefined();
    expect(await checkpoints.get({ userKey: 'self', type: 'egvs' })).toBeUndefined();

    await dexcom.forUser('patient-7').sync({ types: ['egvs'], checkpointStore: checkpoints, handler, userKey: 'explicit' });
    expect(await checkpoints.get({ userKey: 'explicit', type: 'egvs' })).toBeDefined();
    expect(requests.every((r) => r.headers.get('authorization') === 'Bearer at')).toBe(true);
  });
});
