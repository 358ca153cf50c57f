/* global document, window, sessionStorage, fetch, URLSearchParams, clearTimeout */
// The analytics dashboard's script, served as /dashboard/assets/dashboard.js (docs/analytics.md,
// "Dashboard"). Plain browser JavaScript with no dependency: the charts are SVG drawn here. The
// analyst key lives in sessionStorage (this tab only) and goes to /analytics/* as a Bearer
// header. Figures from the API are written with textContent, never parsed as HTML.
(function () {
  'use strict';

  const STORAGE_KEY = 'jifen.analytics.key';
  /** The default period: every day with flows, at most the last 60 of them. */
  const DEFAULT_DAYS = 60;
  /** The longest period the period form accepts (one bar group per day). */
  const MAX_DAYS = 731;
  /** CONTRACT.md section 4: the sedimentation alert's threshold, drawn on its chart. */
  const SEDIMENTATION_THRESHOLD = 0.5;
  const FORECAST_DAYS = 30;
  const SVG = 'http://www.w3.org/2000/svg';
  const DAY_MS = 86_400_000;

  const $ = (id) => document.getElementById(id);

  // ---- formatting -------------------------------------------------------------------------

  const integer = new Intl.NumberFormat('en-US');
  const compactFormat = new Intl.NumberFormat('en-US', {
    notation: 'compact',
    maximumFractionDigits: 1,
  });
  const yuanFormat = new Intl.NumberFormat('en-US', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const points = (n) => integer.format(n);
  const compact = (n) => compactFormat.format(n);
  const percent = (r, digits = 1) =>
    r === null || r === undefined ? '–' : `${(r * 100).toFixed(digits)}%`;
  /** Fen as yuan: 12,345 fen is ¥123.45. */
  const yuan = (minor) => `¥${yuanFormat.format(minor / 100)}`;
  const yuanCompact = (minor) => `¥${compact(minor / 100)}`;

  // ---- days (YYYY-MM-DD strings compare in date order) --------------------------------------

  const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);
  const msOf = (day) => Date.parse(`${day}T00:00:00Z`);
  const addDays = (day, n) => dayOf(msOf(day) + n * DAY_MS);
  const daysFrom = (from, to) => {
    const days = [];
    for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
    return days;
  };
  const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && dayOf(msOf(s)) === s;
  const localToday = () => {
    const now = new Date();
    return dayOf(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
  };

  // ---- the API ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `analytics answered ${status}`);
      this.status = status;
    }
  }

  async function request(key, path) {
    const response = await fetch(path, {
      headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
      cache: 'no-store',
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  const api = (path) => request(sessionStorage.getItem(STORAGE_KEY) || '', path);

  // ---- screens ----------------------------------------------------------------------------

  function showLogin(message) {
    $('board').hidden = true;
    $('period').hidden = true;
    $('forget').hidden = true;
    $('lag').textContent = '';
    $('login').hidden = false;
    const error = $('login-error');
    error.textContent = message || '';
    error.hidden = !message;
    $('key').focus();
  }

  function openBoard() {
    $('login').hidden = true;
    $('board').hidden = false;
    $('period').hidden = false;
    $('forget').hidden = false;
    void load(null);
  }

  function refusal(error) {
    if (error instanceof ApiError && error.status === 401) {
      return 'Analytics does not know this key.';
    }
    if (error instanceof ApiError && error.status === 403) {
      return "This key's role may not read analytics (analysts and admins only).";
    }
    if (error instanceof ApiError) return `Analytics answered ${error.status}: ${error.message}`;
    return `The dashboard could not show the figures: ${error.message}`;
  }

  async function signIn(event) {
    event.preventDefault();
    const key = $('key').value.trim();
    if (key === '') return;
    const button = event.target.querySelector('button');
    button.disabled = true;
    // The last refusal is cleared as the new key is checked, so it cannot pass for this key's answer.
    const error = $('login-error');
    error.hidden = true;
    error.textContent = '';
    try {
      await request(key, '/analytics/lag');
    } catch (error) {
      showLogin(refusal(error));
      return;
    } finally {
      button.disabled = false;
    }
    sessionStorage.setItem(STORAGE_KEY, key);
    $('key').value = '';
    openBoard();
  }

  // ---- loading ----------------------------------------------------------------------------

  let current = null;

  function defaultPeriod(rows) {
    if (rows.length === 0) {
      const to = localToday();
      return { from: addDays(to, -(DEFAULT_DAYS - 1)), to };
    }
    const first = rows[0].date;
    const to = rows[rows.length - 1].date;
    const earliest = addDays(to, -(DEFAULT_DAYS - 1));
    return { from: first > earliest ? first : earliest, to };
  }

  function periodFromForm() {
    const from = $('from').value;
    const to = $('to').value;
    if (!isDay(from) || !isDay(to)) return { error: 'Choose two dates.' };
    if (from > to) return { error: 'The period starts after it ends.' };
    if (daysFrom(from, to).length > MAX_DAYS) return { error: 'Choose at most two years.' };
    return { from, to };
  }

  async function load(period) {
    const board = $('board');
    board.dataset.state = 'loading';
    board.setAttribute('aria-busy', 'true');
    try {
      const [daily, tiers, byItem, lag, forecast] = await Promise.all([
        api('/analytics/daily'),
        api('/analytics/tiers'),
        api('/analytics/redemptions/by-item'),
        api('/analytics/lag'),
        api(`/analytics/liability/forecast?days=${FORECAST_DAYS}`),
      ]);
      const { from, to } = period || defaultPeriod(daily.rows);
      const query = new URLSearchParams({ from, to }).toString();
      const [summary, alerts] = await Promise.all([
        api(`/analytics/summary?${query}`),
        api(`/analytics/alerts?${query}`),
      ]);
      current = { from, to };
      $('from').value = from;
      $('to').value = to;
      render({
        from,
        to,
        rows: daily.rows,
        summary,
        tiers,
        items: byItem.items,
        alerts,
        lag,
        forecast,
      });
      $('board-error').hidden = true;
      board.dataset.state = 'ready';
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        sessionStorage.removeItem(STORAGE_KEY);
        showLogin(refusal(error));
        board.dataset.state = 'idle';
      } else {
        $('board-error').textContent = refusal(error);
        $('board-error').hidden = false;
        board.dataset.state = 'error';
      }
    } finally {
      board.removeAttribute('aria-busy');
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  function setFigure(id, value, text) {
    const el = $(id);
    el.textContent = text;
    el.dataset.value = value === null || value === undefined ? '' : String(value);
  }

  /** Per day of the period: the day's flows, and outstanding and sedimentation at its end. */
  function series(rows, from, to) {
    const byDate = new Map(rows.map((row) => [row.date, row]));
    const totals = { issued: 0, reversed: 0, redeemed: 0, expired: 0 };
    const add = (row) => {
      totals.issued += row.issued;
      totals.reversed += row.reversed;
      totals.redeemed += row.redeemed;
      totals.expired += row.expired;
    };
    for (const row of rows) if (row.date < from) add(row);
    return daysFrom(from, to).map((date) => {
      const row = byDate.get(date) || { issued: 0, reversed: 0, redeemed: 0, expired: 0 };
      add(row);
      const net = totals.issued - totals.reversed;
      const outstanding = net - totals.redeemed - totals.expired;
      return {
        date,
        issued: row.issued,
        redeemed: row.redeemed,
        expired: row.expired,
        outstanding,
        sedimentation: net === 0 ? null : outstanding / net,
      };
    });
  }

  let shown = null;

  function render(data) {
    shown = data;
    const { from, to, rows, summary, tiers, items, alerts, lag, forecast } = data;
    const days = series(rows, from, to);

    setFigure('kpi-issued', summary.issued, points(summary.issued));
    setFigure('kpi-redeemed', summary.redeemed, points(summary.redeemed));
    $('kpi-flow').textContent = `flow ratio ${percent(summary.flowRatio)}`;
    setFigure('kpi-expired', summary.expired, points(summary.expired));
    setFigure('kpi-reversed', summary.reversed, points(summary.reversed));
    setFigure('kpi-outstanding', summary.outstanding, points(summary.outstanding));
    setFigure('kpi-sedimentation', summary.sedimentationRatio, percent(summary.sedimentationRatio));
    setFigure('kpi-liability', summary.liabilityMinor, yuan(summary.liabilityMinor));
    $('kpi-forecast').textContent =
      `${yuan(forecast.predictedLiabilityMinor)} due in ${forecast.days} days`;
    setFigure(
      'kpi-cost-share',
      summary.pointsCostShareOfSales,
      percent(summary.pointsCostShareOfSales, 2),
    );
    $('kpi-sales').textContent = `of ${yuan(summary.salesMinor)} sales`;

    barChart($('chart-daily'), days, [
      { key: 'issued', label: 'Issued' },
      { key: 'redeemed', label: 'Redeemed' },
      { key: 'expired', label: 'Expired' },
    ]);
    lineChart($('chart-sedimentation'), days, 'sedimentation', {
      cls: 'sedimentation',
      format: (v) => percent(v, 0),
      label: (v) => percent(v),
      fixedMax: 1,
      threshold: SEDIMENTATION_THRESHOLD,
    });
    lineChart($('chart-liability'), days, 'outstanding', {
      cls: 'liability',
      format: yuanCompact,
      label: yuan,
    });
    tierChart($('chart-tiers'), tiers);
    itemTable(items);
    alertList(alerts.alerts);

    const lagText = $('lag');
    lagText.textContent =
      lag.events === 0
        ? 'Caught up with the event streams'
        : `${points(lag.events)} events behind (${Math.round(lag.ms / 1000)} s)`;
    lagText.classList.toggle('behind', lag.events !== 0);

    const end = days[days.length - 1];
    const consistent = end.outstanding === summary.outstanding;
    $('as-of').textContent =
      `Period ${from} to ${to} (${days.length} days, program time zone). Read at ` +
      `${new Date().toLocaleTimeString('en-GB')}. Sedimentation and liability per day are ` +
      `running totals of /analytics/daily; ` +
      (consistent
        ? 'the last one agrees with /analytics/summary.'
        : 'they moved while being read: refresh for a consistent picture.');
  }

  // ---- SVG charts ---------------------------------------------------------------------------

  function el(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(parent, x, y, text, attrs) {
    const node = el('text', { x, y, ...attrs }, parent);
    node.textContent = text;
    return node;
  }

  function tooltip(parent, text) {
    el('title', {}, parent).textContent = text;
  }

  /** An SVG as wide as its container, so that one unit is one pixel and text keeps its size. */
  function frame(container, fallbackWidth, height) {
    container.replaceChildren();
    const width = Math.max(240, Math.floor(container.clientWidth) || fallbackWidth);
    const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' }, container);
    return { svg, W: width };
  }

  /** 0 and a few round steps up to at least `max`. */
  function ticks(max, { count = 4, integers = true } = {}) {
    if (!(max > 0)) return [0, 1];
    const raw = max / count;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const norm = raw / magnitude;
    let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
    if (integers) step = Math.max(1, Math.ceil(step));
    const values = [];
    for (let v = 0; v < max + step; v += step) values.push(v);
    return values;
  }

  /**
   * The first and last day in full at the ends, and month-day labels every few days between
   * them where they fit without overlapping.
   */
  function dateLabels(svg, days, xOf, y) {
    const last = days.length - 1;
    if (last === 0) {
      label(svg, xOf(0), y, days[0].date, { 'text-anchor': 'middle' });
      return;
    }
    const charWidth = 6.5;
    const fullWidth = days[0].date.length * charWidth;
    const shortWidth = 5 * charWidth + 12;
    const perDay = xOf(1) - xOf(0);
    const step = Math.max(1, Math.ceil(shortWidth / perDay));
    label(svg, xOf(0), y, days[0].date, { 'text-anchor': 'start' });
    label(svg, xOf(last), y, days[last].date, { 'text-anchor': 'end' });
    for (let i = step; i < last; i += step) {
      const x = xOf(i);
      if (x - shortWidth / 2 < xOf(0) + fullWidth + 6) continue;
      if (x + shortWidth / 2 > xOf(last) - fullWidth - 6) break;
      label(svg, x, y, days[i].date.slice(5), { 'text-anchor': 'middle' });
    }
  }

  function yAxis(svg, values, yOf, left, right, format) {
    for (const v of values) {
      const y = yOf(v);
      el('line', { class: 'grid', x1: left, x2: right, y1: y, y2: y }, svg);
      label(svg, left - 6, y + 4, format(v), { 'text-anchor': 'end' });
    }
  }

  function barChart(container, days, kinds) {
    const H = 250;
    const m = { left: 56, right: 10, top: 10, bottom: 26 };
    const { svg, W } = frame(container, 1200, H);
    const max = Math.max(0, ...days.flatMap((d) => kinds.map((k) => d[k.key])));
    const values = ticks(max);
    const top = values[values.length - 1];
    const plotW = W - m.left - m.right;
    const plotH = H - m.top - m.bottom;
    const yOf = (v) => m.top + plotH - (v / top) * plotH;
    yAxis(svg, values, yOf, m.left, W - m.right, compact);
    const group = plotW / days.length;
    const bar = Math.max(1, Math.min(16, (group * 0.8) / kinds.length));
    const xOf = (i) => m.left + group * i + group / 2;
    days.forEach((day, i) => {
      kinds.forEach((kind, k) => {
        const v = day[kind.key];
        if (v === 0) return;
        const x = xOf(i) - (bar * kinds.length) / 2 + k * bar;
        const y = yOf(v);
        const rect = el(
          'rect',
          {
            class: `bar ${kind.key}`,
            x,
            y,
            width: Math.max(1, bar - 1),
            height: Math.max(1, m.top + plotH - y),
            'data-date': day.date,
            'data-series': kind.key,
            'data-value': v,
          },
          svg,
        );
        tooltip(rect, `${day.date} · ${kind.label} ${points(v)} points`);
      });
    });
    el('line', { class: 'axis', x1: m.left, x2: W - m.right, y1: yOf(0), y2: yOf(0) }, svg);
    dateLabels(svg, days, xOf, H - 8);
    if (max === 0) {
      label(svg, m.left + plotW / 2, m.top + plotH / 2, 'No flows in the period', {
        class: 'empty',
        'text-anchor': 'middle',
      });
    }
  }

  function lineChart(container, days, field, options) {
    const H = 230;
    const m = { left: 64, right: 70, top: 12, bottom: 26 };
    const { svg, W } = frame(container, 600, H);
    const known = days.filter((d) => d[field] !== null);
    const max = Math.max(options.fixedMax || 0, ...known.map((d) => d[field]));
    const values = options.fixedMax
      ? [0, 0.25, 0.5, 0.75, 1].map((v) => v * Math.max(1, max))
      : ticks(max);
    const top = values[values.length - 1];
    const plotW = W - m.left - m.right;
    const plotH = H - m.top - m.bottom;
    const yOf = (v) => m.top + plotH - (v / top) * plotH;
    const xOf = (i) =>
      days.length === 1 ? m.left + plotW / 2 : m.left + (plotW * i) / (days.length - 1);
    yAxis(svg, values, yOf, m.left, W - m.right, options.format);
    if (options.threshold !== undefined) {
      const y = yOf(options.threshold);
      el('line', { class: 'threshold', x1: m.left, x2: W - m.right, y1: y, y2: y }, svg);
      label(svg, W - m.right + 4, y + 4, `alert ${percent(options.threshold, 0)}`, {
        class: 'threshold-label',
      });
    }
    // One path per run of days with a value (a day before any issuance has no ratio).
    let run = [];
    const runs = [run];
    days.forEach((d, i) => {
      if (d[field] === null) {
        run = [];
        runs.push(run);
      } else run.push([xOf(i), yOf(d[field])]);
    });
    for (const points_ of runs.filter((r) => r.length > 0)) {
      const line = points_.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x},${y}`).join('');
      const base = yOf(0);
      el(
        'path',
        {
          class: `area ${options.cls}`,
          d: `${line}L${points_[points_.length - 1][0]},${base}L${points_[0][0]},${base}Z`,
        },
        svg,
      );
      el('path', { class: `line ${options.cls}`, d: line }, svg);
    }
    days.forEach((d, i) => {
      if (d[field] === null) return;
      const dot = el(
        'circle',
        {
          class: `dot ${options.cls}`,
          cx: xOf(i),
          cy: yOf(d[field]),
          r: days.length > 90 ? 1.5 : 2.5,
          'data-date': d.date,
          'data-value': d[field],
        },
        svg,
      );
      tooltip(dot, `${d.date} · ${options.label(d[field])}`);
    });
    el('line', { class: 'axis', x1: m.left, x2: W - m.right, y1: yOf(0), y2: yOf(0) }, svg);
    dateLabels(svg, days, xOf, H - 8);
    const last = known[known.length - 1];
    if (last) {
      const i = days.indexOf(last);
      const y = yOf(last[field]);
      const note = label(
        svg,
        xOf(i) + 6,
        y - 6 < m.top + 10 ? y + 16 : y - 6,
        options.label(last[field]),
        {
          class: 'value',
          'data-last': last[field],
        },
      );
      if (i > days.length * 0.7) note.setAttribute('text-anchor', 'end');
    } else {
      label(svg, m.left + plotW / 2, m.top + plotH / 2, 'Nothing issued yet', {
        class: 'empty',
        'text-anchor': 'middle',
      });
    }
  }

  function tierChart(container, tiers) {
    const order = ['member', 'silver', 'gold', 'diamond'];
    const names = [...order, ...Object.keys(tiers).filter((t) => !order.includes(t))];
    const total = names.reduce((sum, t) => sum + (tiers[t] || 0), 0);
    const rowH = 40;
    const H = names.length * rowH + 10;
    const m = { left: 70, right: 110 };
    const { svg, W } = frame(container, 420, H);
    const max = Math.max(1, ...names.map((t) => tiers[t] || 0));
    names.forEach((tier, i) => {
      const n = tiers[tier] || 0;
      const y = 8 + i * rowH;
      label(svg, m.left - 8, y + 18, tier, { 'text-anchor': 'end' });
      const width = ((W - m.left - m.right) * n) / max;
      const rect = el(
        'rect',
        {
          class: 'bar tier',
          x: m.left,
          y,
          width: Math.max(n > 0 ? 2 : 0, width),
          height: 26,
          rx: 3,
          'data-tier': tier,
          'data-value': n,
        },
        svg,
      );
      tooltip(rect, `${tier}: ${points(n)} members`);
      label(
        svg,
        m.left + width + 6,
        y + 18,
        `${points(n)} (${total === 0 ? '0' : ((100 * n) / total).toFixed(0)}%)`,
        { class: 'value', 'data-tier': tier },
      );
    });
  }

  // ---- tables -----------------------------------------------------------------------------

  function cell(row, text, numeric) {
    const td = document.createElement('td');
    td.textContent = text;
    if (numeric) td.className = 'n';
    row.appendChild(td);
  }

  function itemTable(items) {
    const body = $('items').querySelector('tbody');
    body.replaceChildren();
    for (const item of items.slice(0, 10)) {
      const row = document.createElement('tr');
      row.dataset.item = item.itemId;
      cell(row, item.itemId, false);
      cell(row, item.category, false);
      cell(row, points(item.count), true);
      cell(row, points(item.points), true);
      cell(row, yuan(item.costMinor), true);
      cell(row, item.costPerPointMinor === null ? '–' : item.costPerPointMinor.toFixed(2), true);
      body.appendChild(row);
    }
    $('items').hidden = items.length === 0;
    $('items-empty').hidden = items.length !== 0;
  }

  function describe(alert) {
    switch (alert.alert) {
      case 'daily_issuance':
        return [
          `${alert.date} · daily issuance`,
          `${points(alert.issued)} points issued, above ${points(alert.threshold)}`,
        ];
      case 'daily_flow_ratio':
        return [
          `${alert.date} · daily flow ratio`,
          `${percent(alert.flowRatio)} redeemed of ${points(alert.issued)} issued, below ${percent(alert.threshold, 0)}`,
        ];
      case 'sedimentation':
        return [
          `${alert.asOf} · sedimentation`,
          `${percent(alert.sedimentationRatio)} of points unspent (${points(alert.outstanding)}), above ${percent(alert.threshold, 0)}`,
        ];
      case 'points_cost_share':
        return [
          `${alert.month} · points cost`,
          `${percent(alert.pointsCostShareOfSales, 2)} of ${yuan(alert.salesMinor)} sales, above ${percent(alert.threshold, 0)}`,
        ];
      default:
        return [String(alert.alert), JSON.stringify(alert)];
    }
  }

  function alertList(alerts) {
    const list = $('alerts');
    list.replaceChildren();
    for (const alert of alerts) {
      const [title, detail] = describe(alert);
      const item = document.createElement('li');
      item.dataset.alert = alert.alert;
      const b = document.createElement('b');
      b.textContent = title;
      const span = document.createElement('span');
      span.textContent = detail;
      item.append(b, span);
      list.appendChild(item);
    }
    $('alerts-count').textContent =
      alerts.length === 1 ? '1 in the period' : `${alerts.length} in the period`;
    list.hidden = alerts.length === 0;
    $('alerts-empty').hidden = alerts.length !== 0;
  }

  // ---- start ------------------------------------------------------------------------------

  function start() {
    $('key-form').addEventListener('submit', (event) => void signIn(event));
    $('forget').addEventListener('click', () => {
      sessionStorage.removeItem(STORAGE_KEY);
      showLogin();
    });
    $('period').addEventListener('submit', (event) => {
      event.preventDefault();
      const period = periodFromForm();
      if (period.error) {
        $('board-error').textContent = period.error;
        $('board-error').hidden = false;
        return;
      }
      void load(period);
    });
    $('refresh').addEventListener('click', () => void load(current));
    let resizing = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (shown !== null && !$('board').hidden) render(shown);
      }, 150);
    });
    if (sessionStorage.getItem(STORAGE_KEY)) openBoard();
    else showLogin();
  }

  start();
})();
