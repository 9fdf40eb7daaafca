import { Schema, type Connection, type Model } from 'mongoose';
import { newId } from '../ids.js';
import { ROLES, type RoleGrant } from '../orgs/roles.js';

export { ROLES, STAFF_ROLES, type Role, type RoleGrant } from '../orgs/roles.js';

export interface User {
  _id: string;
  username: string;
  /** Lower-cased username: logins are case-insensitive and unique that way. */
  usernameKey: string;
  passwordHash: string;
  displayName: string;
  studentId?: string;
  roles: RoleGrant[];
  active: boolean;
  /** Tokens issued before this instant are refused (password change, deactivation). */
  tokensValidAfter?: Date;
  createdAt: Date;
  createdBy?: string;
}

const grantSchema = new Schema<RoleGrant>(
  { role: { type: String, enum: ROLES, required: true }, orgId: { type: String, required: true } },
  { _id: false },
);

const userSchema = new Schema<User>(
  {
    _id: { type: String, default: newId },
    username: { type: String, required: true },
    usernameKey: { type: String, required: true, unique: true },
    passwordHash: { type: String, required: true },
    displayName: { type: String, required: true },
    studentId: { type: String },
    roles: { type: [grantSchema], default: [] },
    active: { type: Boolean, default: true },
    tokensValidAfter: { type: Date },
    createdAt: { type: Date, default: () => new Date() },
    createdBy: { type: String },
  },
  { versionKey: false },
);
userSchema.index({ 'roles.orgId': 1 });

export type UserModel = Model<User>;

export function createUserModel(conn: Connection): UserModel {
  return conn.model<User>('User', userSchema, 'users');
}
