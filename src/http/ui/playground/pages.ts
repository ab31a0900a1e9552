import { html, type SafeHtml } from '../html.js';
import { pageHead } from '../pageHead.js';

const ASSETS = '/playground/assets';

function layout(title: string, body: SafeHtml, head: SafeHtml = html``): string {
  return html`<!doctype html>
<html lang="en">
<head>
${pageHead(`${title} · Settle playground`, ASSETS, 'playground.css')}
${head}
</head>
<body>
<main>${body}</main>
</body>
</html>
`.value;
}

export interface SignInOptions {
  error?: string;
  notice?: string;
}

export function signInPage(o: SignInOptions = {}): string {
  return layout(
    'Sign in',
    html`<section class="signin">
  <h1>Settle <span>playground</span></h1>
  <form method="post" action="/playground/login" class="panel" id="sign-in-form">
    <label for="apiKey">Your API key</label>
    <input id="apiKey" name="apiKey" type="password" autocomplete="off" spellcheck="false" required maxlength="200" placeholder="sk_settle_…" autofocus>
    ${o.error ? html`<p class="error" role="alert" id="sign-in-error">${o.error}</p>` : ''}
    ${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
    <button type="submit" class="primary">Sign in</button>
  </form>
  <p class="hint">Paste the user key that <code>settle demo</code> printed, or one from <code>settle users create</code>.
  The browser keeps only a signed, HttpOnly session cookie; the key itself never reaches the page's script.</p>
</section>`,
  );
}

export interface PlaygroundOptions {
  email: string;
  csrfToken: string;
}

/** The signed-in page; playground.js fills it through settle/client (models, balance, the task's live state). */
export function playgroundPage(o: PlaygroundOptions): string {
  return layout(
    'Generate',
    html`<header class="top">
  <span class="brand">Settle <span>playground</span></span>
  <div class="who">
    <span class="email">${o.email}</span>
    <form method="post" action="/playground/logout">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="link" id="sign-out">Sign out</button>
    </form>
  </div>
</header>
<section class="panel balance" id="balance" aria-label="Your credits">
  <div><span class="label">Available</span><span class="value" id="available">…</span></div>
  <div><span class="label">Frozen</span><span class="value" id="frozen">…</span></div>
  <div><span class="label">Balance</span><span class="value" id="total">…</span></div>
</section>
<form class="panel" id="prompt-form">
  <label for="model">Model</label>
  <select id="model" name="model" required></select>
  <label for="prompt">Prompt</label>
  <textarea id="prompt" name="prompt" rows="3" maxlength="10000" required placeholder="A red fox running through fresh snow at dawn"></textarea>
  <fieldset id="model-inputs" class="model-inputs" hidden><legend>Options</legend></fieldset>
  <p class="price">Price: <strong id="price">…</strong> credits</p>
  <button type="submit" class="primary" id="generate">Generate</button>
  <p class="error" role="alert" id="form-error" hidden></p>
</form>
<section class="panel task" id="task" hidden aria-live="polite">
  <h2>Task <code id="task-id"></code></h2>
  <p>Status: <strong id="task-status"></strong> <span id="task-source" class="muted"></span></p>
  <progress id="progress" max="100" value="0"></progress> <span id="progress-label">0%</span>
  <div id="result"></div>
  <p class="error" role="alert" id="task-error" hidden></p>
</section>`,
    html`<meta name="csrf-token" content="${o.csrfToken}">
<script type="module" src="${ASSETS}/playground.js"></script>`,
  );
}
