// Builds the front end into src/escalate/static/build/ (git-ignored; `make` runs it).
//
//   npm ci && npm run build
//
// - frontend/scss/app.scss -> build/app.css (compressed), with GOV.UK Frontend and MoJ Frontend
// - govuk-frontend.min.js, moj-frontend.min.js (ES modules) and frontend/js/*.mjs -> build/
// - images the CSS refers to, and our own favicon and manifest -> build/assets/
//
// Deliberately not copied: the GDS Transport fonts (Escalate uses a system font stack), and
// GOV.UK's crown favicons, icons and Open Graph image (Escalate is not on GOV.UK).
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as sass from 'sass'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const modules = join(root, 'node_modules')
const out = join(root, 'src', 'escalate', 'static', 'build')
const govuk = join(modules, 'govuk-frontend', 'dist', 'govuk')
const moj = join(modules, '@ministryofjustice', 'frontend', 'moj')

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets', 'images'), { recursive: true })

// Styles
const result = sass.compile(join(root, 'frontend', 'scss', 'app.scss'), {
  loadPaths: [root, modules],
  style: 'compressed',
  quietDeps: true,
  sourceMap: false,
  logger: {
    // MoJ Frontend still calls a GOV.UK Frontend mixin deprecated in v6, and pins
    // $govuk-suppressed-warnings itself, so that one warning is dropped here; all others show.
    warn (message, { deprecation, span, stack }) {
      if (message.includes('`govuk-text-colour` mixin is deprecated')) return
      const where = span ? `${span.url?.pathname ?? ''}:${span.start.line + 1}` : (stack ?? '')
      console.warn(`${deprecation ? 'Deprecation' : 'Warning'}: ${message}\n    ${where}`)
    }
  }
})
writeFileSync(join(out, 'app.css'), result.css)

// Scripts: both libraries ship self-contained ES modules; init.mjs imports them relatively.
copyFileSync(join(govuk, 'govuk-frontend.min.js'), join(out, 'govuk-frontend.min.js'))
copyFileSync(join(moj, 'moj-frontend.min.js'), join(out, 'moj-frontend.min.js'))
copyFileSync(join(root, 'frontend', 'js', 'init.mjs'), join(out, 'init.mjs'))
copyFileSync(join(root, 'frontend', 'js', 'timeout-warning.mjs'), join(out, 'timeout-warning.mjs'))

// Images referred to by the compiled CSS. govuk-crest.svg is referred to only by the footer's
// copyright-logo class, which Escalate never uses; it is copied so that hashed static storage
// (ManifestStaticFilesStorage) finds every url() in app.css.
copyFileSync(join(govuk, 'assets', 'images', 'govuk-crest.svg'), join(out, 'assets', 'images', 'govuk-crest.svg'))
for (const name of readdirSync(join(moj, 'assets', 'images'))) {
  if (name.startsWith('icon-')) {
    copyFileSync(join(moj, 'assets', 'images', name), join(out, 'assets', 'images', name))
  }
}

// Escalate's own favicon and web app manifest.
cpSync(join(root, 'frontend', 'images'), join(out, 'assets', 'images'), { recursive: true })
copyFileSync(join(root, 'frontend', 'manifest.json'), join(out, 'assets', 'manifest.json'))

console.log(`Built ${out} (app.css ${Math.round(result.css.length / 1024)} KiB)`)
