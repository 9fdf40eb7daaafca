/**
 * The Node flags the API process runs with in production
 * (`node --max-semi-space-size=64 dist/src/server.js`, docs/operations.md).
 * `npm start` and the load tests start the API with the same flags, so what
 * they measure is what production runs.
 *
 * `--max-semi-space-size=64`: a young generation of 64 MiB semi-spaces
 * instead of V8's 16. The answer path allocates short-lived objects for
 * every frame (the parsed frame, the log entry, the ack); with more room,
 * fewer of them are still alive at a scavenge, so less is copied. On the
 * answer-rate ladder (BENCHMARKS.md, "A larger young generation for the
 * API") it cut the API's CPU per answer by about 6 % at 4,000–6,000
 * answers/s and kept every 5,000/s run in the small-write regime, for about
 * 90 MiB more resident memory per process.
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
