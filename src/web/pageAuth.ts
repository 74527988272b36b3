/// <reference lib="dom" />
import { tokenFromFragment, tokenProblem } from './fragmentToken';
import { byId } from './views';

/**
 * The page's bearer token, in this page's memory only: read from `#token=` at load or typed into
 * the page's own form when the server answers 401. It is not stored (no localStorage, no
 * cookie), so it ends with the tab, and it is sent only to this origin, on the page's own calls.
 */
let token: string | null = null;
/** The form's pending question, so that concurrent 401s ask once. */
let asking: Promise<string> | null = null;

/**
 * Takes `#token=` out of the address at load (history.replaceState), so that a bookmark, a
 * shared link or the history does not carry it, and keeps it in memory.
 */
export function takeTokenFromAddress(): void {
  const { token: found, rest, problem } = tokenFromFragment(location.hash);
  if (found === null && problem === null) return;
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  token = found;
  if (problem) showTokenForm(`The token in the address was not used: ${problem}.`);
}

export function showTokenForm(error: string | null): void {
  byId('token-form').hidden = false;
  const message = byId('token-error');
  message.textContent = error ?? '';
  message.hidden = error === null;
  byId<HTMLInputElement>('token-input').focus();
}

/** Shows the form until a usable token is submitted; resolves with it. */
function askForToken(error: string | null): Promise<string> {
  showTokenForm(error);
  asking ??= new Promise<string>((resolve) => {
    const form = byId<HTMLFormElement>('token-form');
    const input = byId<HTMLInputElement>('token-input');
    const onSubmit = (event: Event) => {
      event.preventDefault();
      const typed = input.value.trim();
      const problem = tokenProblem(typed);
      if (problem) {
        showTokenForm(`This token cannot be used: ${problem}.`);
        return;
      }
      form.removeEventListener('submit', onSubmit);
      input.value = '';
      form.hidden = true;
      asking = null;
      resolve(typed);
    };
    form.addEventListener('submit', onSubmit);
  });
  return asking;
}

function withToken(init: RequestInit): RequestInit {
  if (token === null) return init;
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/** The problem+json title and detail of a refusal, for the person at the page. */
export async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { title?: string; detail?: string };
    return [problem.title, problem.detail].filter(Boolean).join(': ') || response.statusText;
  } catch {
    return response.statusText;
  }
}

/**
 * fetch() with the page's token. A 401 (no token, or one the server refuses) shows the token
 * form with the server's reason and retries once a token is entered: the loop waits on the
 * person, never on a timer. With no auth configured no 401 comes and nothing is asked.
 * The body must be re-sendable (a string), as the page's are.
 */
export async function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const response = await fetch(url, withToken(init));
    if (response.status !== 401) return response;
    const reason = await problemDetail(response);
    const refused = token !== null;
    token = null;
    token = await askForToken(refused ? `The server refused this token (${reason}). Enter another one.` : `This server needs an access token (${reason}).`);
  }
}

/** fetch() with the page's token that never asks: a refusal is the caller's to handle (the session poll). */
export function fetchWithToken(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, withToken(init));
}
