/** The roles (src/contracts/people.ts, shared with the staff app), and what the server derives from them. */
import { ROLES, type Role } from '../contracts/people.js';

export { ROLES, type Role, type RoleGrant } from '../contracts/people.js';
/** Every role but candidate: the people who run the bank and the exams. */
export const STAFF_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'candidate');

