/**
 * Redis channel on which user revocations are announced to every API process,
 * so open exam sockets of that user end at once. Pub/sub channels carry no
 * ioredis keyPrefix, so the prefix is part of the name.
 */
export function revocationChannel(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}revocations`;
}
