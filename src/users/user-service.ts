import type { BulkUsersResult } from '../contracts/people.js';
import { collectionBeside, insertNew, INSERT_CHUNK, nativeOf, readByIds, readMany } from '../infra/store.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { RoleGrant, User, UserModel } from './user-model.js';
import { UserNames } from './user-names.js';

import type { NewUser } from '../contracts/people.js';

export type { NewUser };

export interface UserPatch {
  displayName?: string;
  studentId?: string;
  roles?: RoleGrant[];
  password?: string;
  /** Required when users change their own password. */
  currentPassword?: string;
  active?: boolean;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  studentId?: string;
  roles: RoleGrant[];
  active: boolean;
  createdAt: string;
}

/** The public shape of a user: an allow-list, so no hash can ever leak. */
export function userView(user: User): UserView {
  const view: UserView = {
    id: user._id,
    username: user.username,
    displayName: user.displayName,
    roles: user.roles.map((g) => ({ role: g.role, orgId: g.orgId })),
    active: user.active,
    createdAt: user.createdAt.toISOString(),
  };
  if (user.studentId) view.studentId = user.studentId;
  return view;
}

/** Only candidates get the lighter hash cost (see passwords.ts). */
function costFor(roles: RoleGrant[]) {
  return roles.length > 0 && roles.every((g) => g.role === 'candidate') ? 'candidate' : 'staff';
}

const BULK_CONCURRENCY = 8;

/** An `_id` no user has: an unknown username reads it, so that it costs what a known one does. */
const NO_USER = 'no-such-user';
/** The username document saying that every user has one (no username can start with `~`). */
const NAMES_COMPLETE = '~every-user-has-one';
/** Username key → user id, one document each (`_id` is the key): logins find a user by one point read. */
export const USER_NAMES = 'user_names';
interface UserNameDoc {
  _id: string;
  userId: string;
}

export class UserService {
  /** People's names for staff screens, as each viewer may see them. */
  readonly people: UserNames;

  constructor(
    private readonly User: UserModel,
    private readonly orgs: OrgService,
    private readonly access: Access,
  ) {
    this.people = new UserNames(User, orgs);
  }

  /** Checks that the actor administers every organisation the new roles name. */
  private async assertMayGrant(actor: Principal, roles: RoleGrant[]): Promise<void> {
    for (const orgId of new Set(roles.map((g) => g.orgId))) {
      if (!(await this.orgs.pathOf(orgId))) throw new NotFound('Organisation');
      if (!(await this.access.holds(actor, 'admin', orgId))) {
        throw new Forbidden('Only an administrator of that organisation or above may give roles there');
      }
    }
  }

  private async build(input: NewUser, actor: Principal | null): Promise<User> {
    const doc = new this.User({
      username: input.username,
      usernameKey: input.username.toLowerCase(),
      passwordHash: await hashPassword(input.password, costFor(input.roles)),
      displayName: input.displayName.normalize('NFC'),
      studentId: input.studentId,
      roles: input.roles,
      createdBy: actor?.id,
    });
    return doc.toObject();
  }

  async create(actor: Principal | null, input: NewUser): Promise<User> {
    if (actor) await this.assertMayGrant(actor, input.roles);
    const user = await this.build(input, actor);
    const taken = () => new Conflict('duplicate_username', `Username ${input.username} is taken`);
    if ((await this.claimNames([user])).size > 0) throw taken();
    try {
      await this.User.collection.insertOne(user as never);
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw taken();
      throw err;
    }
    return user;
  }

  /**
   * Creates up to 5,000 users; a bad row never stops the others. Rows are
   * checked and hashed first, then written in one unordered insert, and
   * duplicate usernames are reported per row.
   */
  async bulkCreate(
    actor: Principal,
    inputs: NewUser[],
  ): Promise<BulkUsersResult> {
    const failed: BulkUsersResult['failed'] = [];
    const ready: { index: number; user: User }[] = [];
    const seen = new Map<string, number>();
    const allowed = new Map<string, boolean>();

    for (const [index, input] of inputs.entries()) {
      const key = input.username.toLowerCase();
      if (seen.has(key)) {
        failed.push({ index, error: { code: 'duplicate_username', message: `Username repeats row ${seen.get(key)}` } });
        continue;
      }
      seen.set(key, index);
    }
    const rows = inputs.map((input, index) => ({ input, index })).filter((r) => !failed.some((f) => f.index === r.index));

    let next = 0;
    const work = async () => {
      while (next < rows.length) {
        const { input, index } = rows[next++]!;
        try {
          for (const orgId of new Set(input.roles.map((g) => g.orgId))) {
            if (!allowed.has(orgId)) {
              allowed.set(orgId, (await this.orgs.pathOf(orgId)) !== null && (await this.access.holds(actor, 'admin', orgId)));
            }
            if (!allowed.get(orgId)) throw new Forbidden(`Not an administrator of organisation ${orgId}`);
          }
          ready.push({ index, user: await this.build(input, actor) });
        } catch (err) {
          const e = err as { code?: string; message: string };
          failed.push({ index, error: { code: typeof e.code === 'string' ? e.code : 'failed', message: e.message } });
        }
      }
    };
    await Promise.all(Array.from({ length: BULK_CONCURRENCY }, work));

    ready.sort((a, b) => a.index - b.index);
    const refusedNames = await this.claimNames(ready.map((r) => r.user));
    for (const r of ready) {
      if (refusedNames.has(r.user.usernameKey)) failed.push({ index: r.index, error: { code: 'duplicate_username', message: `Username ${r.user.username} is taken` } });
    }
    const named = ready.filter((r) => !refusedNames.has(r.user.usernameKey));
    let created = named.length;
    if (named.length > 0) {
      try {
        await this.User.collection.insertMany(named.map((r) => r.user as never), { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { index: number; code?: number; errmsg?: string }[] }).writeErrors;
        if (!writeErrors) throw err;
        for (const we of writeErrors) {
          const row = named[we.index]!;
          created--;
          failed.push({
            index: row.index,
            error: we.code === 11000
              ? { code: 'duplicate_username', message: `Username ${row.user.username} is taken` }
              : { code: 'failed', message: 'Could not be stored' },
          });
        }
      }
    }
    failed.sort((a, b) => a.index - b.index);
    const refused = new Set(failed.map((f) => f.index));
    const stored = named.filter((r) => !refused.has(r.index));
    const users = stored.map((r) => ({ index: r.index, id: r.user._id, username: r.user.username }));
    return { created, users, failed };
  }

  /** A user is visible to themselves and to administrators above any of their roles. */
  async get(actor: Principal, id: string): Promise<User> {
    const user = await this.User.findById(id).lean();
    if (!user) throw new NotFound('User');
    if (user._id === actor.id) return user;
    for (const g of user.roles) {
      if (await this.access.holds(actor, 'admin', g.orgId)) return user;
    }
    throw new NotFound('User');
  }

  /**
   * A user whose login lock the actor may lift, and the organisation on whose
   * behalf: a proctor or exam manager at or above an organisation where the
   * user is a candidate, or an administrator over any of the user's roles.
   * Others get what reading the user would give them: 403 for users
   * themselves, 404 for everyone else.
   */
  async forUnlock(actor: Principal, id: string): Promise<{ user: User; orgId: string }> {
    const user = await this.User.findById(id).lean();
    if (!user) throw new NotFound('User');
    for (const g of user.roles) {
      if (g.role === 'candidate' && (await this.access.holds(actor, ['proctor', 'exam_manager'], g.orgId))) return { user, orgId: g.orgId };
    }
    for (const g of user.roles) {
      if (await this.access.holds(actor, 'admin', g.orgId)) return { user, orgId: g.orgId };
    }
    if (user._id === actor.id) throw new Forbidden('Only a proctor, an exam manager or an administrator may lift a login lock');
    throw new NotFound('User');
  }

  /**
   * Changes a user. Password change, deactivation and removal of a role end
   * every session the user has at once (tokens issued before now are refused
   * on every process). Returns what changed for the audit trail.
   */
  async update(actor: Principal, id: string, patch: UserPatch): Promise<{ user: User; before: Pick<User, 'roles' | 'active'>; revoked: boolean; changed: string[] }> {
    const user = await this.get(actor, id);
    const isSelf = user._id === actor.id;
    const administers = await Promise.all(user.roles.map((g) => this.access.holds(actor, 'admin', g.orgId)));
    const mayAdminister = user.roles.length > 0 ? administers.every(Boolean) : false;
    if (!mayAdminister) {
      // Users may change only their own password, and only with the current one.
      const onlyPassword = Object.keys(patch).every((k) => k === 'password' || k === 'currentPassword');
      if (!isSelf || !onlyPassword || patch.password === undefined) throw new Forbidden('Only an administrator of all the user\'s organisations may change it');
      if (!patch.currentPassword || !(await verifyPassword(patch.currentPassword, user.passwordHash))) throw new Forbidden('The current password is wrong');
    }
    if (patch.roles) await this.assertMayGrant(actor, patch.roles);
    const set: Partial<User> = {};
    const changed: string[] = [];
    let revoked = false;
    if (patch.displayName !== undefined) {
      set.displayName = patch.displayName.normalize('NFC');
      changed.push('displayName');
    }
    if (patch.studentId !== undefined) {
      set.studentId = patch.studentId;
      changed.push('studentId');
    }
    if (patch.roles) {
      set.roles = patch.roles;
      changed.push('roles');
      const kept = new Set(patch.roles.map((g) => `${g.role}@${g.orgId}`));
      if (user.roles.some((g) => !kept.has(`${g.role}@${g.orgId}`))) revoked = true;
    }
    if (patch.password !== undefined) {
      set.passwordHash = await hashPassword(patch.password, costFor(patch.roles ?? user.roles));
      changed.push('password');
      revoked = true;
    }
    if (patch.active !== undefined && patch.active !== user.active) {
      set.active = patch.active;
      changed.push('active');
      if (!patch.active) revoked = true;
    }
    if (revoked) set.tokensValidAfter = new Date();
    const updated = await this.User.findByIdAndUpdate(id, { $set: set }, { returnDocument: 'after' }).lean();
    this.people.forget(id);
    if (!updated) throw new NotFound('User');
    return { user: updated, before: { roles: user.roles.map((g) => ({ role: g.role, orgId: g.orgId })), active: user.active }, revoked, changed };
  }

  /**
   * Usernames → users, for exam managers and administrators filling a
   * candidate list: only users holding a role at one of the caller's
   * organisations or below are found; anyone else is as unknown as a
   * username nobody has.
   */
  async lookup(actor: Principal, usernames: string[]): Promise<User[]> {
    const grants = this.access.grantOrgs(actor, ['exam_manager', 'admin']);
    if (grants.length === 0) throw new Forbidden('Only exam managers and administrators look users up');
    const keys = [...new Set(usernames.map((u) => u.toLowerCase()))];
    if (keys.length === 0) return [];
    const found = await this.byUsernameKeys(keys);
    const paths = new Map<string, Promise<string[] | null>>();
    const pathOf = (orgId: string) => {
      let p = paths.get(orgId);
      if (!p) paths.set(orgId, (p = this.orgs.pathOf(orgId)));
      return p;
    };
    const visible: User[] = [];
    for (const user of found) {
      for (const g of user.roles) {
        const path = await pathOf(g.orgId);
        if (path && grants.some((o) => path.includes(o))) {
          visible.push(user);
          break;
        }
      }
    }
    const order = new Map(keys.map((k, i) => [k, i]));
    return visible.sort((a, b) => order.get(a.usernameKey)! - order.get(b.usernameKey)!);
  }

  /** Users by lower-cased usernames, through the username documents where they exist. */
  private async byUsernameKeys(keys: readonly string[]): Promise<User[]> {
    const names = await readMany(this.names(), keys);
    const users = await readMany(nativeOf<User>(this.User), [...new Set([...names.values()].map((n) => n.userId))]);
    const found = [...users.values()].filter((u) => names.get(u.usernameKey)?.userId === u._id);
    const have = new Set(found.map((u) => u.usernameKey));
    const missing = keys.filter((k) => !have.has(k));
    if (missing.length) {
      const more = await this.User.find({ usernameKey: { $in: missing } }).lean();
      await this.recordNames(more);
      found.push(...more);
    }
    return found;
  }

  /**
   * The user with this username (any case), for login: the username document
   * and then the user, two reads by `_id` whether or not the username exists,
   * so that neither the work nor its time tells an unknown username from a
   * known one (a filter on `usernameKey` would make FerretDB decode every
   * user). Every user has a document: creation takes the name first, and
   * `ensureNames` gave users from before them theirs.
   */
  async findByUsername(username: string): Promise<User | null> {
    const key = username.toLowerCase();
    const name = await this.names().findOne({ _id: key });
    const user = await this.User.findById(name?.userId || NO_USER).lean();
    if (user && user.usernameKey === key) return user;
    // (The marker document has no user id.)
    if (!name?.userId) return null;
    // A name whose user is missing was taken over by a creation that then lost the race for the username: set it right.
    const holder = await this.User.findOne({ usernameKey: key }).lean();
    if (holder) await this.names().updateOne({ _id: key }, { $set: { userId: holder._id } });
    return holder;
  }

  /**
   * Takes the username documents of users about to be stored, so that no
   * stored user is without one. Returns the usernames (lower-cased) another
   * user holds. A name whose user was never stored (a creation that failed or
   * crashed after taking it) is taken over, unless another creation is quicker.
   */
  private async claimNames(users: readonly Pick<User, '_id' | 'usernameKey'>[]): Promise<Set<string>> {
    const names = this.names();
    const refused = new Set<string>();
    const held = await insertNew(names, users.map((u) => ({ _id: u.usernameKey, userId: u._id })));
    if (held.size === 0) return refused;
    const docs = await readByIds(names, [...held]);
    const holders = await readMany(nativeOf<User>(this.User), [...docs.values()].map((n) => n.userId), { usernameKey: 1 });
    for (const u of users) {
      if (!held.has(u.usernameKey)) continue;
      const name = docs.get(u.usernameKey);
      if (!name || holders.get(name.userId)?.usernameKey === u.usernameKey) {
        refused.add(u.usernameKey);
        continue;
      }
      const res = await names.updateOne({ _id: u.usernameKey, userId: name.userId }, { $set: { userId: u._id } });
      if (res.modifiedCount !== 1) refused.add(u.usernameKey);
    }
    return refused;
  }

  /**
   * Gives every user stored before username documents existed its document,
   * once per database (a marker document records that it ran); from then on
   * creation keeps it so. Several processes starting at once do the same
   * inserts, and duplicates are ignored.
   */
  async ensureNames(): Promise<void> {
    const names = this.names();
    if (await names.findOne({ _id: NAMES_COMPLETE })) return;
    let batch: { _id: string; userId: string }[] = [];
    for await (const u of nativeOf<User>(this.User).find({}, { projection: { usernameKey: 1 }, batchSize: INSERT_CHUNK })) {
      batch.push({ _id: u.usernameKey, userId: u._id });
      if (batch.length >= INSERT_CHUNK) {
        await insertNew(names, batch);
        batch = [];
      }
    }
    await insertNew(names, [...batch, { _id: NAMES_COMPLETE, userId: '' }]);
  }

  /** Username → user id documents (see findByUsername); usernames never change and users are never deleted. */
  private names() {
    return collectionBeside<UserNameDoc>(this.User, USER_NAMES);
  }

  /** Writes the username documents missing for users found by name (see byUsernameKeys). */
  private async recordNames(users: readonly Pick<User, '_id' | 'usernameKey'>[]): Promise<void> {
    if (users.length === 0) return;
    await this.names()
      .insertMany(users.map((u) => ({ _id: u.usernameKey, userId: u._id })), { ordered: false })
      .catch(() => undefined);
  }

  async count(): Promise<number> {
    return this.User.estimatedDocumentCount();
  }
}
