// The HTML shell of the pages about one patient (the patient page, the CTG page) and the page
// that refuses one: the head, the boards' navigation and the user line are the same on each; a
// page brings its title, assets, heading and the element its client fills.

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const NAV = '<nav aria-label="Boards"><a href="/boards/ed">ED pre-arrival</a> <a href="/boards/icu">ICU</a> <a href="/boards/triage">Triage queue</a></nav>'

export interface PatientShell {
  patientId: string
  userName: string
  /** Before " · Neva"; escaped here. */
  title: string
  /** Asset file names under /boards/assets/, in order. */
  styles: readonly string[]
  script: string
  /** The h1's inner HTML: the page builds it from escaped parts. */
  heading: string
  /** HTML after the navigation (the patient search box), or nothing. */
  afterNav?: string
  /** The id of the element the client fills. */
  mainId: string
}

export function patientShell(p: PatientShell): string {
  const styles = p.styles.map((s) => `<link rel="stylesheet" href="/boards/assets/${s}">\n`).join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)} · Neva</title>
${styles}<script type="module" src="/boards/assets/${p.script}"></script>
</head>
<body data-patient="${escapeHtml(p.patientId)}">
<header>
  <h1>${p.heading}</h1>
  ${NAV}${p.afterNav ? `\n  ${p.afterNav}` : ''}
  <p class="who">${escapeHtml(p.userName)} · <span id="status" role="status" aria-live="polite">loading…</span>
    <form method="post" action="/logout"><button type="submit">Log out</button></form></p>
</header>
<main id="${p.mainId}" aria-busy="true"><p>Loading…</p></main>
</body>
</html>
`
}

/** The 403 page: `what` names what was refused (plain text, escaped here). */
export function refusalPage(what: string, userName: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not allowed · Neva</title><link rel="stylesheet" href="/boards/assets/boards.css"></head>
<body><header><h1>Not allowed</h1>${NAV}</header>
<main><p class="refused" role="alert">${escapeHtml(userName)} may not open ${escapeHtml(what)}: they are not on a ward or site granted to you (or have no open encounter). This attempt is recorded.</p></main>
</body></html>
`
}
