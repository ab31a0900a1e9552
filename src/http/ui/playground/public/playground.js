// The playground page: settle/client in the browser, exactly as an integrator would use it. The session cookie
// authenticates every call; the CSRF token from the page goes with each one.
import { InsufficientCreditsError, SettleApiError, SettleClient, TaskFailedError, priceFor } from '/playground/client/index.js';

const $ = (id) => document.getElementById(id);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const client = new SettleClient({ headers: { 'x-csrf-token': csrfToken } });
const models = new Map();

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

async function refreshCredits() {
  const credits = await client.credits();
  $('available').textContent = String(credits.available);
  $('frozen').textContent = String(credits.frozen);
  $('total').textContent = String(credits.balance);
}

async function loadModels() {
  const select = $('model');
  for (const model of await client.models()) {
    models.set(model.id, model);
    const option = document.createElement('option');
    option.value = model.id;
    option.textContent = `${model.id} (${model.type}, ${priceFor(model, {})} credits)`;
    select.append(option);
  }
  showModelInputs();
}

/** One control per input field the model's schema enumerates (a choice, a switch, a URL); the prompt has its own. */
function inputControl(field, schema, required) {
  if (schema.enum) {
    const select = document.createElement('select');
    for (const value of schema.enum) select.append(new Option(String(value), String(value), false, value === schema.default));
    return select;
  }
  const input = document.createElement('input');
  if (schema.type === 'boolean') input.type = 'checkbox';
  else {
    input.type = 'url';
    input.placeholder = 'https://…';
    input.required = required;
  }
  return input;
}

function showModelInputs() {
  const model = models.get($('model').value);
  const fieldset = $('model-inputs');
  fieldset.replaceChildren(fieldset.querySelector('legend'));
  const properties = model?.input?.properties ?? {};
  const required = new Set(model?.input?.required ?? []);
  for (const [field, schema] of Object.entries(properties)) {
    if (field === 'prompt') continue;
    const label = document.createElement('label');
    label.textContent = field;
    if (schema.description) label.title = schema.description;
    const control = inputControl(field, schema, required.has(field));
    control.id = `input-${field}`;
    control.dataset.field = field;
    control.dataset.kind = schema.enum ? 'choice' : schema.type === 'boolean' ? 'switch' : 'urls';
    label.htmlFor = control.id;
    fieldset.append(label, control);
  }
  fieldset.hidden = fieldset.children.length <= 1;
  showPrice();
}

/** The model's fields as the form has them: choices as chosen, a switch when on, a URL as a one-item list. */
function modelInput() {
  const input = {};
  for (const control of $('model-inputs').querySelectorAll('[data-field]')) {
    const { field, kind } = control.dataset;
    if (kind === 'choice') input[field] = control.value;
    else if (kind === 'switch' && control.checked) input[field] = true;
    else if (kind === 'urls' && control.value) input[field] = [control.value];
  }
  return input;
}

function showPrice() {
  const model = models.get($('model').value);
  $('price').textContent = model ? String(priceFor(model, modelInput())) : '…';
}

function showState(task, source) {
  $('task-status').textContent = task.status;
  $('task-source').textContent = source;
  const bar = $('progress');
  bar.value = task.progress;
  bar.setAttribute('value', String(task.progress));
  $('progress-label').textContent = `${task.progress}%`;
}

function showResult(task) {
  const media = task.type === 'video' ? document.createElement('video') : document.createElement('img');
  if (task.type === 'video') {
    media.controls = true;
    media.muted = true;
    media.preload = 'auto';
  } else {
    media.alt = 'The generated image';
  }
  // A result the browser cannot decode (the simulator's files are placeholders) still gets a working link.
  media.addEventListener('error', () => {
    const link = document.createElement('a');
    link.href = task.assetUrl;
    link.textContent = `This browser cannot show the result; download it (${task.type})`;
    link.id = 'result-link';
    $('result').replaceChildren(link);
  });
  media.src = task.assetUrl;
  $('result').replaceChildren(media);
}

async function run(model, prompt) {
  showError($('task-error'), '');
  $('result').replaceChildren();
  const submitted = await client.submit({ type: model.type, model: model.id, input: { prompt, ...modelInput() } });
  $('task').hidden = false;
  $('task-id').textContent = submitted.taskId;
  showState({ status: submitted.status, progress: 0 }, '');
  await refreshCredits();
  try {
    const task = await client.waitForCompletion(submitted.taskId, { onProgress: (t) => showState(t, '(live)') });
    showState(task, '');
    showResult(task);
  } catch (err) {
    if (!(err instanceof TaskFailedError)) throw err;
    showState(err.task, '');
    const reason = (err.task.error?.message ?? `The task was ${err.task.status}`).replace(/\.$/, '');
    showError($('task-error'), `${reason}. ${err.task.creditsRefunded} credits refunded.`);
  }
}

$('prompt-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('generate');
  button.disabled = true;
  showError($('form-error'), '');
  try {
    await run(models.get($('model').value), $('prompt').value);
  } catch (err) {
    const message = err instanceof InsufficientCreditsError ? 'Not enough credits for this model.' : err instanceof SettleApiError ? err.message : String(err);
    showError($('form-error'), message);
  } finally {
    button.disabled = false;
    await refreshCredits().catch(() => undefined);
  }
});

$('model').addEventListener('change', showModelInputs);
$('model-inputs').addEventListener('change', showPrice);

await Promise.all([loadModels(), refreshCredits()]);
document.body.dataset.ready = 'true';
