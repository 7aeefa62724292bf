/** Defence settings for tests: the shipped shape with small, readable numbers; each test overrides what it is about. */
import type { DefenceSettings } from './defence.js';

export function testDefenceSettings(overrides: Partial<DefenceSettings> = {}): DefenceSettings {
  return {
    trustedNetworks: [],
    ipv4Prefix: 24,
    ipv6Prefix: 48,
    baseWaitSeconds: 2,
    maxWaitSeconds: 15,
    penaltyWindowSeconds: 60,
    subnetPenaltyShare: 0.25,
    windowSeconds: 900,
    ipLimit: 8,
    subnetLimit: 30,
    unknownUsersLimit: 4,
    unknownUsersWindowSeconds: 3600,
    accountLimit: 5,
    accountWindowSeconds: 3600,
    banSeconds: 3600,
    ownerMemorySeconds: 7 * 86400,
    ...overrides,
  };
}
