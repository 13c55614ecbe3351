// Loaded by base.html as <script type="module">: no inline scripts, so a strict
// Content-Security-Policy (script-src 'self') needs no nonce or hash.
//
// GOV.UK Frontend's page template sets these body classes with an inline script; here a
// module script sets them. Browsers that cannot run ES modules never run this file, so they
// get the no-JavaScript experience, which is what `govuk-frontend-supported` is for.
import { initAll as initGovukFrontend } from './govuk-frontend.min.js'
import { initAll as initMojFrontend } from './moj-frontend.min.js'
import { initTimeoutWarning } from './timeout-warning.mjs'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initGovukFrontend()
initMojFrontend()
initTimeoutWarning()
