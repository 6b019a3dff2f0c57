// The login page: server-rendered, no script, no external asset; readable on a tablet.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const BASE = 'http://neva.invalid'

/**
 * A path of this site to return to after login; anything else becomes "/". Browsers drop tabs and
 * newlines anywhere in a URL and read "\\" as "/", so "/\t/evil", "/\\evil" and "\\/evil" all mean
 * "//evil" (another host): any control character or backslash is refused outright, then the rest
 * must resolve to this origin, and what is returned is the path as the URL parser wrote it
 * (percent-encoded, so a browser cannot read it any other way).
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2048) return '/'
  if (/[\u0000-\u001f\u007f\\]/.test(next) || !next.startsWith('/') || next.startsWith('//')) return '/'
  let url: URL
  try {
    url = new URL(next, BASE)
  } catch {
    return '/'
  }
  if (url.origin !== BASE) return '/'
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith('/') && !path.startsWith('//') ? path : '/'
}

export function loginPage({ next = '/', error, username = '' }: { next?: string; error?: string; username?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Neva — log in</title>
<link rel="stylesheet" href="/login.css">
</head>
<body>
<main>
<h1>Neva</h1>
<form method="post" action="/login">
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escape(username)}"${username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${username ? ' autofocus' : ''}>
<input type="hidden" name="next" value="${escape(safeNext(next))}">
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`
}

export const LOGIN_CSS = `body{margin:0;font:18px/1.4 system-ui,sans-serif;background:#f3f5f7;color:#111}
main{max-width:22rem;margin:12vh auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 4px #0002}
h1{margin:0 0 1rem;font-size:1.6rem}
label{display:block;margin:.8rem 0 .3rem}
input{box-sizing:border-box;width:100%;padding:.7rem;font-size:1rem;border:1px solid #889;border-radius:.3rem}
button{margin-top:1.2rem;width:100%;padding:.8rem;font-size:1.05rem;border:0;border-radius:.3rem;background:#0b5cad;color:#fff}
.error{padding:.6rem;background:#fde8e8;border-left:4px solid #b00020;margin:0 0 .5rem}
`
