import { nativeOf, readMany } from '../infra/store.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Access, Principal } from '../orgs/access.js';
import type { OrgService } from '../orgs/org-service.js';
import type { RoleGrant, User, UserModel } from './user-model.js';

export interface NewUser {
  username: string;
  password: string;
  displayName: string;
  studentId?: string;
  roles: RoleGrant[];
}

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

export class UserService {
  constructor(
    private readonly User: UserModel,
    private readonly orgs: OrgService,
    private readonly access: Access,
  ) {}

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
    try {
      await this.User.collection.insertOne(user as never);
    } catch (err) {
      if ((err as { code?: number }).code === 11000) throw new Conflict('duplicate_username', `Username ${input.username} is taken`);
      throw err;
    }
    await this.recordNames([user]);
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
  ): Promise<{ created: number; users: { index: number; id: string; username: string }[]; failed: { index: number; error: { code: string; message: string } }[] }> {
    const failed: { index: number; error: { code: string; message: string } }[] = [];
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
    let created = ready.length;
    if (ready.length > 0) {
      try {
        await this.User.collection.insertMany(ready.map((r) => r.user as never), { ordered: false });
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { index: number; code?: number; errmsg?: string }[] }).writeErrors;
        if (!writeErrors) throw err;
        for (const we of writeErrors) {
          const row = ready[we.index]!;
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
    const stored = ready.filter((r) => !refused.has(r.index));
    await this.recordNames(stored.map((r) => r.user));
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

  /**
   * The user with this username (any case). Read through the username
   * documents (`user_names`, `_id` = lower-cased username): two reads by
   * `_id`, which FerretDB answers from an index, where a filter on
   * `usernameKey` makes it decode every user — a login storm on the embedded
   * default would pay that per login. Users without one (stored before it
   * existed, or a crash between the two inserts) are found by `usernameKey`
   * and get theirs then.
   */
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

  async findByUsername(username: string): Promise<User | null> {
    const key = username.toLowerCase();
    const name = await this.names().findOne({ _id: key });
    if (name) {
      const user = await this.User.findById(name.userId).lean();
      if (user && user.usernameKey === key) return user;
    }
    const user = await this.User.findOne({ usernameKey: key }).lean();
    if (user) await this.recordNames([user]);
    return user;
  }

  /** Username → user id documents (see findByUsername); usernames never change and users are never deleted. */
  private names() {
    const db = this.User.db.db;
    if (!db) throw new Error('The MongoDB connection is not open');
    return db.collection<{ _id: string; userId: string }>('user_names');
  }

  /** Writes the username documents of new users. Only a shortcut: on failure logins find them the slow way. */
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
