import { Types } from 'mongoose';

/**
 * A new opaque id: an ObjectId as a 24-character hex string. Stored as a
 * string so that any text a client sends can be looked up without a cast
 * error, and ids sort by creation time for cursor pagination.
 */
export function newId(): string {
  return new Types.ObjectId().toHexString();
}
