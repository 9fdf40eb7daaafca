/**
 * Pictures of the media library (`/api/media/<hash>`) in item HTML. The
 * library answers only to a signed-in caller it may show the file to, and an
 * `<img src>` sends no bearer token, so each picture is fetched with the
 * session's token and shown from a blob: URL. The address is the content's
 * hash, so one fetch per address serves the whole page's life.
 */
import { loadSession } from '../api.js';

const LIBRARY_PATH = /^\/api\/media\/[0-9a-f]{64}$/;

const loaded = new Map<string, Promise<string | null>>();

/** True for a library address (same origin, path only, as safeImageSrc returns it). */
export function isLibraryMedia(path: string): boolean {
  return LIBRARY_PATH.test(path);
}

async function fetchObjectUrl(path: string): Promise<string | null> {
  const token = loadSession()?.token;
  try {
    const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) return null;
    return URL.createObjectURL(await res.blob());
  } catch {
    return null;
  }
}

/** A blob: URL of the library file `path` fetched with the session's token, or null when it cannot be had (refused, offline). */
export function libraryObjectUrl(path: string): Promise<string | null> {
  let url = loaded.get(path);
  if (!url) {
    url = fetchObjectUrl(path);
    loaded.set(path, url);
    // A refused or failed fetch is tried again next time the file is asked for.
    void url.then((u) => {
      if (!u) loaded.delete(path);
    });
  }
  return url;
}

/** Shows the library picture `path` in `img` once it has arrived; a picture the caller may not see stays empty (its alt text). */
export function showLibraryImage(img: HTMLImageElement, path: string): void {
  img.dataset.media = path;
  void libraryObjectUrl(path).then((u) => {
    if (u) img.src = u;
  });
}
