/**
 * Blueprints and exams this person created or opened on this device. The
 * API has no list of exams or blueprints (only reads by id), so the staff
 * app remembers the ones it has seen, newest first.
 */

export interface Recent {
  id: string;
  title: string;
  at: string;
  status?: string;
}

type Kind = 'exams' | 'blueprints';
const MAX = 30;

function key(userId: string, kind: Kind): string {
  return `exam-engine:recent:${userId}:${kind}`;
}

export function recentList(userId: string, kind: Kind): Recent[] {
  try {
    const value = JSON.parse(localStorage.getItem(key(userId, kind)) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((r): r is Recent => !!r && typeof r.id === 'string' && typeof r.title === 'string') : [];
  } catch {
    return [];
  }
}

export function remember(userId: string, kind: Kind, entry: Omit<Recent, 'at'>): void {
  const list = recentList(userId, kind).filter((r) => r.id !== entry.id);
  list.unshift({ ...entry, at: new Date().toISOString() });
  try {
    localStorage.setItem(key(userId, kind), JSON.stringify(list.slice(0, MAX)));
  } catch {
    // Storage full or private mode: the list is a convenience.
  }
}
