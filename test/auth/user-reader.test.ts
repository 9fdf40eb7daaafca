// Token checks read users by id, a bounded number at once; reads of the same
// id in flight are shared; every caller gets its own user, or null.
import t from 'tap';
import { UserReader } from '../../src/auth/user-reader.js';
import { newId } from '../../src/ids.js';
import { build } from '../helper.js';

t.test('a burst of reads stays within the limit and each caller gets the right user', async (t) => {
  const { app } = await build(t);
  const users = Array.from({ length: 60 }, (_, i) => ({
    _id: newId(),
    username: `ur_${i}`,
    usernameKey: `ur_${i}`,
    passwordHash: 'not-a-login',
    displayName: `Học sinh ${i}`,
    roles: [],
    active: true,
    createdAt: new Date(),
  }));
  await app.models.User.collection.insertMany(users as never[]);
  const reader = new UserReader(app.models.User, { parallel: 4 });
  const missing = newId();
  const ids = [...users.map((u) => u._id), users[0]!._id, missing];
  const got = await Promise.all(ids.map((id) => reader.read(id)));
  t.same(got.map((u) => u?.username ?? null), [...users.map((u) => u.username), 'ur_0', null]);
  t.equal(reader.stats.maxInFlight, 4, 'never more than four reads at once');
  t.equal(reader.stats.shared, 1, 'the repeated id shared the read in flight');
  t.equal(reader.stats.reads, 61, 'one read per distinct id');
  t.equal((await reader.read(users[5]!._id))?.username, 'ur_5', 'a read afterwards reads again');
  t.equal(reader.stats.reads, 62);
});

t.test('a failed read reaches every caller sharing it, and the next read goes again', async (t) => {
  const { app } = await build(t);
  let fail = true;
  const model = {
    findById: (id: string) => ({
      lean: () => ({ exec: () => (fail ? Promise.reject(new Error('database away')) : app.models.User.findById(id).lean().exec()) }),
    }),
  } as unknown as ConstructorParameters<typeof UserReader>[0];
  const reader = new UserReader(model, { parallel: 1 });
  const id = newId();
  const both = await Promise.allSettled([reader.read(id), reader.read(id), reader.read(newId())]);
  t.same(both.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
  fail = false;
  t.equal(await reader.read(id), null, 'read again once the database answers');
});
