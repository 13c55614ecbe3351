// The idle time-out warning: a dialog shortly before the session ends, with "Stay signed in"
// and "Sign out", then signing out when the time is up.
//
// Without JavaScript the same choices are links and forms on the page (the footer's notice and
// /account/session/), and the server ends an idle session on its next request whatever happens
// here. This only saves people from losing what they were typing.
//
// Tabs share one clock: each page load or "Stay signed in" writes the time to localStorage, so
// a person working in one tab is not warned or signed out in another.

const STORAGE_KEY = 'escalate:last-activity'
const MINUTE = 60 * 1000

function readShared () {
  try {
    return Number(window.localStorage.getItem(STORAGE_KEY)) || 0
  } catch {
    return 0 // storage blocked: this tab keeps its own clock
  }
}

function writeShared (time) {
  try {
    window.localStorage.setItem(STORAGE_KEY, String(time))
  } catch {}
}

/** "2 minutes", "1 minute" or "less than a minute": changes rarely, so a screen reader is told
 * once a minute, not every second. */
export function describeTimeLeft (milliseconds) {
  const minutes = Math.floor(milliseconds / MINUTE)
  if (minutes >= 2) return `${minutes} minutes`
  if (minutes === 1) return '1 minute'
  return 'less than a minute'
}

export function initTimeoutWarning (root = document) {
  const dialog = root.querySelector('dialog[data-module="app-timeout-warning"]')
  if (!dialog || typeof dialog.showModal !== 'function') return null

  const timeout = Number(dialog.dataset.timeoutSeconds) * 1000
  const warning = Number(dialog.dataset.warningSeconds) * 1000
  const stayForm = dialog.querySelector('form[data-timeout-stay]')
  const signOutForm = dialog.querySelector('form[data-timeout-sign-out]')
  const timeLeft = dialog.querySelector('[data-timeout-left]')
  if (!(timeout > 0) || !(warning > 0) || !stayForm || !signOutForm || !timeLeft) return null

  let lastHere = Date.now()
  let signingOut = false
  writeShared(Math.max(lastHere, readShared()))

  const lastActivity = () => Math.max(lastHere, readShared())

  function tick () {
    if (signingOut) return
    const left = lastActivity() + timeout - Date.now()
    if (left <= 0) {
      signingOut = true
      // POST, with its CSRF token, then the "you have been signed out" page.
      const next = document.createElement('input')
      next.type = 'hidden'
      next.name = 'next'
      next.value = dialog.dataset.timedOutUrl || ''
      signOutForm.append(next)
      signOutForm.submit()
      return
    }
    if (left <= warning) {
      const text = describeTimeLeft(left)
      if (timeLeft.textContent !== text) timeLeft.textContent = text
      if (!dialog.open) dialog.showModal()
    } else if (dialog.open) {
      dialog.close() // another tab kept the session alive
    }
  }

  stayForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const response = await window.fetch(stayForm.action, {
        method: 'POST',
        body: new window.FormData(stayForm),
        credentials: 'same-origin',
        redirect: 'manual'
      })
      // The view answers with a redirect (opaque to fetch: status 0) once it has kept the
      // session; anything else means it could not, so let the form go as without JavaScript.
      if (response.type === 'opaqueredirect' || response.ok) {
        lastHere = Date.now()
        writeShared(lastHere)
        dialog.close()
        return
      }
    } catch {}
    stayForm.submit()
  })

  // Escape would just close the dialog and leave the clock running: take it as "Stay signed in"
  // (as the HMRC timeout dialog does).
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    stayForm.requestSubmit()
  })

  const timer = window.setInterval(tick, 1000)
  tick()
  return { tick, stop: () => window.clearInterval(timer) }
}
