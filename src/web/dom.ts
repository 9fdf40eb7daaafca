/**
 * The one way the client builds DOM: elements by name, attributes by
 * setAttribute, strings only ever as text nodes. Nothing here parses HTML;
 * item HTML from the server goes through items/sanitize.ts instead.
 */

export type AttrValue = string | number | boolean | null | undefined;
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element. `class` sets the class list; `true` sets an empty
 * attribute; `false`, `null` and `undefined` leave it out. Event handlers are
 * attached by the caller with addEventListener, never through attributes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, AttrValue> | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (/^on/i.test(name)) throw new Error(`Event handler attribute ${name} is not allowed`);
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** A unique-enough element id fragment from any string (ids from the server are opaque). */
export function idFragment(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`);
}
