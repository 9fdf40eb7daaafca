import fp from 'fastify-plugin';
import mongoose, { type Connection } from 'mongoose';
import { mongoUri } from '../config.js';
import { createModels, ensureIndexes, type Models } from '../models.js';
import { profileCommands } from '../infra/db-profile.js';

declare module 'fastify' {
  interface FastifyInstance {
    mongo: Connection;
    models: Models;
  }
}

/** Opens a MongoDB connection with the engine's settings; used by the API and the workers. */
export async function connectMongo(uri: string): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    autoIndex: false,
    autoCreate: false,
    maxPoolSize: 50,
    monitorCommands: Boolean(process.env.DB_PROFILE),
  });
  profileCommands(conn);
  await conn.asPromise();
  return conn;
}

/** Answers whether MongoDB responds within `timeoutMs`. */
export async function pingMongo(conn: Connection, timeoutMs = 1500): Promise<boolean> {
  try {
    await withTimeout(conn.db!.admin().command({ ping: 1 }), timeoutMs);
    return true;
  } catch {
    return false;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export default fp(
  async (app) => {
    const conn = await connectMongo(mongoUri(app.config));
    const models = createModels(conn);
    await ensureIndexes(models);
    app.decorate('mongo', conn);
    app.decorate('models', models);
    app.addHook('onClose', async () => {
      await conn.close();
    });
  },
  { name: 'mongo' },
);
