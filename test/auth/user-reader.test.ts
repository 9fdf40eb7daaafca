// Token checks read users one by one when few are in flight, and batch them
// under a burst (a join storm); every caller gets its own user, or null.
import t from 'tap';
import { UserReader } from '../../src/auth/user-reader.js';
import { newId } from '../../src/ids.js';
import { build } from '../helper.js';

t.test('a burst of reads is batched and each caller gets the right user', async (t) => {
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
  t.equal(reader.stats.singles, 4, 'the first reads went alone');
  t.ok(reader.stats.batches >= 1 && reader.stats.batches <= 3, `the rest went in ${reader.stats.batches} batched read(s)`);
  t.equal((await reader.read(users[5]!._id))?.username, 'ur_5', 'a lone read afterwards goes alone');
});
