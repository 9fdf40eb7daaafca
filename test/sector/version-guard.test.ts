import t from 'tap';
import { sectorUri } from '../../src/config.js';
import { SECTOR_SOURCE, type SectorRecord } from '../../src/sector/sector-model.js';
import { SectorStore } from '../../src/sector/sector-service.js';
import { testConfig, uniqueName } from '../helper.js';
import { dropSectorAtEnd } from '../support/grading.js';

function record(id: string, version: number, score: number): SectorRecord {
  return {
    _id: id,
    studentId: 'HS001',
    schoolOrgId: 'school-1',
    orgPath: ['root', 'dep', 'school-1'],
    examId: 'exam-1',
    examTitle: 'Kiểm tra giữa kỳ I',
    subject: 'math',
    grade: 12,
    formCode: '101',
    score,
    maxScore: 10,
    score10: score,
    status: 'graded',
    gradedAt: new Date(Date.UTC(2026, 0, 1, 8, version)),
    version,
    source: SECTOR_SOURCE,
  };
}

t.test('the sector upsert is version-guarded: only a newer version replaces, nothing is duplicated', async (t) => {
  const config = testConfig(uniqueName('sector-guard'));
  dropSectorAtEnd(t, sectorUri(config));
  const store = new SectorStore(sectorUri(config));
  t.teardown(() => store.close());
  const model = await store.records();

  t.same(await store.upsert([record('a1', 1, 5)]), { written: 1, alreadyNewer: 0 }, 'new record');
  t.same(await store.upsert([record('a1', 1, 5)]), { written: 0, alreadyNewer: 1 }, 'the same version again (a retry)');
  t.same(await store.upsert([record('a1', 3, 7)]), { written: 1, alreadyNewer: 0 }, 'a newer version');
  t.same(await store.upsert([record('a1', 2, 6)]), { written: 0, alreadyNewer: 1 }, 'an older version arriving late');
  t.match(await store.find('a1'), { version: 3, score: 7, score10: 7, gradedAt: new Date(Date.UTC(2026, 0, 1, 8, 3)) });

  // A mixed batch: one new, one older, one newer; then racing pushers of two versions.
  await store.upsert([record('b1', 2, 4)]);
  t.same(await store.upsert([record('c1', 1, 1), record('a1', 1, 5), record('b1', 4, 9)]), { written: 2, alreadyNewer: 1 });
  await Promise.all([store.upsert([record('d1', 2, 8)]), store.upsert([record('d1', 1, 2)]), store.upsert([record('d1', 2, 8)])]);
  t.match(await store.find('d1'), { version: 2, score: 8 });
  const all = await model.find({}).sort({ _id: 1 }).lean();
  t.same(all.map((r) => [r._id, r.version]), [['a1', 3], ['b1', 4], ['c1', 1], ['d1', 2]], 'one record per attempt, each at its newest version');
});

t.test('an unreachable sector database is an error the job retries, not a hang', async (t) => {
  // Port 9 (discard) has no MongoDB listening.
  const store = new SectorStore('mongodb://127.0.0.1:9/sector', { serverSelectionTimeoutMS: 500 });
  t.teardown(() => store.close());
  await t.rejects(store.upsert([record('x', 1, 1)]), { name: 'SectorUnavailable' });
  await t.rejects(store.upsert([record('x', 1, 1)]), { name: 'SectorUnavailable' }, 'and again: each push tries to connect anew');
});
