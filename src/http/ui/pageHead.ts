import { html, type SafeHtml } from './html.js';

/**
 * The head both UIs' pages share: no referrer beyond this site, no favicon request, and two stylesheets from the UI's
 * own asset path: the theme both share (ui/public/theme.css), then the page's own.
 */
export function pageHead(title: string, assets: string, stylesheet: string): SafeHtml {
  return html`<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}/theme.css">
<link rel="stylesheet" href="${assets}/${stylesheet}">`;
}

/** The theme's file, for each UI's asset route (copied next to the compiled code by the build, like the UIs' own). */
export const themeFile = (): URL => new URL('./public/theme.css', import.meta.url);
