// The storefront page: plain JS against reco-recommender's HTTP API (docs/online.md). No build step.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { user: null, lastCategories: new Set() };

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `${method} ${path}: HTTP ${res.status}`);
  return data;
}

function showError(e) {
  $('error').hidden = !e;
  $('error').textContent = e ? String(e.message || e) : '';
}

function button(label, onClick, attrs) {
  const b = document.createElement('button');
  b.textContent = label;
  Object.entries(attrs || {}).forEach(([k, v]) => b.setAttribute(k, v));
  b.addEventListener('click', onClick);
  return b;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

// Posts one behaviour event; the server answers once it is durable, so the next refresh reflects it.
async function act(behavior, item, category) {
  try {
    await api('POST', '/v1/events',
              { user_id: state.user, item_id: item, category_id: category, behavior });
    await refresh();
  } catch (e) { showError(e); }
}

function actionButtons(td, item, category) {
  td.className = 'actions';
  td.append(button('view', () => act('pv', item, category), { 'data-action': 'pv' }),
            button('add to cart', () => act('cart', item, category), { 'data-action': 'cart' }),
            button('buy', () => act('buy', item, category), { 'data-action': 'buy' }));
}

async function loadRecommendations() {
  const data = await api('GET', `/v1/recommend?user_id=${state.user}&k=20`);
  const body = $('recs').tBodies[0];
  body.replaceChildren();
  const categories = new Set();
  data.items.forEach((it, i) => {
    const row = body.insertRow();
    row.dataset.item = it.item_id;
    row.dataset.category = it.category_id;
    if (!state.lastCategories.has(it.category_id) && state.lastCategories.size) row.classList.add('fresh');
    categories.add(it.category_id);
    cell(row, i + 1);
    cell(row, it.item_id);
    cell(row, it.category_id);
    cell(row, it.score.toFixed(4), 'score');
    cell(row, it.reason, 'reason');
    actionButtons(row.insertCell(), it.item_id, it.category_id);
  });
  state.lastCategories = categories;
  $('recs-empty').hidden = data.items.length > 0;
  $('recs-meta').textContent = `${data.ranking}, model v${data.model_version}, ` +
      `${data.candidates_considered} candidates, ${data.latency_ms.toFixed(2)} ms` +
      (data.cold_start ? ', cold start' : '');
}

async function loadHistory() {
  const data = await api('GET', `/v1/users/${state.user}/history`);
  const list = $('history');
  list.replaceChildren();
  data.history.slice(0, 20).forEach((h) => {
    const li = document.createElement('li');
    li.textContent = `${h.behavior} item ${h.item_id} (category ${h.category_id})`;
    li.dataset.category = h.category_id;
    list.append(li);
  });
}

async function browse(category) {
  const data = await api('GET', `/v1/recommend?user_id=${state.user}&k=8&category=${category}`);
  const body = $('browse').tBodies[0];
  body.replaceChildren();
  data.items.forEach((it) => {
    const row = body.insertRow();
    row.dataset.item = it.item_id;
    row.dataset.category = it.category_id;
    cell(row, it.item_id);
    cell(row, it.category_id);
    actionButtons(row.insertCell(), it.item_id, it.category_id);
  });
}

async function refresh() {
  if (state.user === null) return;
  try {
    await Promise.all([loadRecommendations(), loadHistory()]);
    showError(null);
  } catch (e) { showError(e); }
}

async function loadStats() {
  try {
    const s = await api('GET', '/v1/stats');
    $('stat-model').textContent = s.model_version || 'none';
    $('stat-ranking').textContent = s.ranking;
    $('stat-rps').textContent = s.requests_per_second.toFixed(1);
    $('stat-p50').textContent = s.latency_ms.p50.toFixed(2);
    $('stat-p99').textContent = s.latency_ms.p99.toFixed(2);
    $('stat-events').textContent = s.events_total;
  } catch (e) { /* the panel is best effort */ }
}

async function loadUsers() {
  try {
    const data = await api('GET', '/v1/users');
    // Recent shoppers first, then a sample of the store's shoppers with some history (a fresh process has no
    // recent ones).
    const recent = new Set(data.users);
    const users = [...data.users, ...(data.sample_users || []).filter((u) => !recent.has(u))];
    $('recent-users').replaceChildren(...users.map((u) => {
      const o = document.createElement('option');
      o.value = u;
      return o;
    }));
    if (users.length && !new URLSearchParams(location.search).has('user')) $('shopper').value = users[0];
  } catch (e) { /* optional */ }
}

$('shopper-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.user = Number($('shopper').value);
  state.lastCategories = new Set();
  history.replaceState(null, '', `?user=${state.user}`);
  refresh();
});

$('browse-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  browse(Number($('browse-category').value)).catch(showError);
});

(async () => {
  const fromUrl = new URLSearchParams(location.search).get('user');
  if (fromUrl !== null) $('shopper').value = fromUrl;
  await loadUsers();
  state.user = Number($('shopper').value);
  await refresh();
  loadStats();
  setInterval(loadStats, 2000);
})();
