/**
 * "Which organisation owns this?" — asked only of people who hold the role at
 * several organisations (the server then requires `ownerOrgId`), with the
 * organisations' names filled in as they load.
 */
import { h } from '../dom.js';
import type { StaffContext } from './frame.js';
import { field, select, type FieldErrors } from './components.js';

export interface OrgChoice {
  /** The field, or null when there is nothing to choose. */
  element: HTMLElement | null;
  /** The chosen organisation, or undefined when the server decides alone. */
  value(): string | undefined;
}

export function orgChoice(ctx: StaffContext, orgIds: string[], label: string, path: string, errors: FieldErrors, id: string): OrgChoice {
  if (orgIds.length <= 1) return { element: null, value: () => undefined };
  const control = select(orgIds.map((o): [string, string] => [o, o]), orgIds[0]!, { id });
  for (const orgId of orgIds) {
    ctx.api
      .org(orgId)
      .then((org) => {
        const option = Array.from(control.options).find((o) => o.value === orgId);
        if (option) option.textContent = `${org.name} (${org.code})`;
      })
      .catch(() => undefined);
  }
  return { element: h('div', { class: 'form-grid' }, field(label, control, { path, errors })), value: () => control.value };
}
