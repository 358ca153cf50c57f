/**
 * The dashboard's page and style sheet. They are TypeScript constants rather than files so
 * that the build (swc, which copies only scripts) keeps them in `dist`; the page's script is
 * `public/dashboard.js`. No inline script or style: the Content-Security-Policy forbids both.
 */

export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Jifen analytics</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/dashboard.js" defer></script>
</head>
<body>
<header class="top">
  <h1>Jifen <span>loyalty analytics</span></h1>
  <form id="period" class="period" hidden>
    <label>From <input type="date" id="from" name="from" required></label>
    <label>To <input type="date" id="to" name="to" required></label>
    <button type="submit">Show</button>
    <button type="button" id="refresh" title="Read every figure again">Refresh</button>
  </form>
  <div class="session">
    <span id="lag" class="lag" title="How far analytics is behind the event streams"></span>
    <button type="button" id="forget" hidden>Forget key</button>
  </div>
</header>

<section id="login" class="login" hidden>
  <form id="key-form">
    <h2>Analyst key</h2>
    <p>The figures are for analysts and admins. The key is kept in this browser tab only
      (session storage) and sent to the analytics API as a Bearer header.</p>
    <label for="key">API key</label>
    <input type="password" id="key" name="key" autocomplete="off" spellcheck="false" required>
    <button type="submit">Open the dashboard</button>
    <p id="login-error" class="error" role="alert" hidden></p>
  </form>
</section>

<main id="board" data-state="idle" hidden>
  <p id="board-error" class="error" role="alert" hidden></p>
  <section class="kpis" aria-label="Figures for the period">
    <div class="kpi"><h3>Issued</h3><p id="kpi-issued">–</p><small>points in the period</small></div>
    <div class="kpi"><h3>Redeemed</h3><p id="kpi-redeemed">–</p><small id="kpi-flow">flow ratio –</small></div>
    <div class="kpi"><h3>Expired</h3><p id="kpi-expired">–</p><small>points in the period</small></div>
    <div class="kpi"><h3>Reversed</h3><p id="kpi-reversed">–</p><small>taken back by refunds</small></div>
    <div class="kpi"><h3>Outstanding</h3><p id="kpi-outstanding">–</p><small id="kpi-outstanding-note">at the period's end</small></div>
    <div class="kpi"><h3>Sedimentation</h3><p id="kpi-sedimentation">–</p><small>of points issued, unspent</small></div>
    <div class="kpi"><h3>Liability</h3><p id="kpi-liability">–</p><small id="kpi-forecast">forecast –</small></div>
    <div class="kpi"><h3>Points cost</h3><p id="kpi-cost-share">–</p><small id="kpi-sales">of sales</small></div>
  </section>

  <section class="card wide">
    <h2>Daily issued, redeemed and expired <small>points per day</small></h2>
    <div class="legend">
      <span class="key issued">Issued</span><span class="key redeemed">Redeemed</span><span class="key expired">Expired</span>
    </div>
    <div id="chart-daily" class="chart"></div>
  </section>

  <div class="row two">
    <section class="card">
      <h2>Sedimentation over time <small>outstanding ÷ issued net of reversals, end of day</small></h2>
      <div id="chart-sedimentation" class="chart"></div>
    </section>
    <section class="card">
      <h2>Liability over time <small>outstanding points at 1 fen each, end of day</small></h2>
      <div id="chart-liability" class="chart"></div>
    </section>
  </div>

  <div class="row three">
    <section class="card">
      <h2>Tier distribution <small>members now</small></h2>
      <div id="chart-tiers" class="chart"></div>
    </section>
    <section class="card">
      <h2>Top redeemed items <small>all time, by points</small></h2>
      <table id="items" class="items">
        <thead><tr><th>Item</th><th>Category</th><th class="n">Count</th><th class="n">Points</th><th class="n">Cost</th><th class="n">Fen/pt</th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="items-empty" class="empty" hidden>No confirmed redemptions of catalogue items yet.</p>
    </section>
    <section class="card">
      <h2>Alerts <small id="alerts-count">in the period</small></h2>
      <ul id="alerts" class="alerts"></ul>
      <p id="alerts-empty" class="empty" hidden>No alert fires in the period.</p>
    </section>
  </div>
  <footer id="as-of" class="as-of"></footer>
</main>
</body>
</html>
`;

export const dashboardCss = `:root {
  --ink: #1d2433;
  --muted: #5f6b7f;
  --line: #dfe4ec;
  --bg: #f4f6fa;
  --card: #ffffff;
  --issued: #2f6fdf;
  --redeemed: #17a673;
  --expired: #e0892a;
  --accent: #6a4fd8;
  --alert: #c23a3a;
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', sans-serif;
  color: var(--ink);
  background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
[hidden] { display: none !important; }
.top {
  display: flex; align-items: center; gap: 24px; flex-wrap: wrap;
  padding: 12px 24px; background: var(--ink); color: #fff;
}
.top h1 { font-size: 20px; margin: 0; font-weight: 650; }
.top h1 span { font-weight: 400; color: #b8c2d6; }
.period { display: flex; gap: 10px; align-items: center; font-size: 13px; }
.period input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #7b869b; }
.session { margin-left: auto; display: flex; gap: 12px; align-items: center; font-size: 13px; }
.lag { color: #b8c2d6; }
.lag.behind { color: #ffcf70; }
button {
  font: inherit; font-size: 13px; padding: 5px 12px; border-radius: 4px; cursor: pointer;
  border: 1px solid #7b869b; background: #2e3850; color: #fff;
}
.login { display: flex; justify-content: center; padding: 64px 16px; }
.login form {
  width: 420px; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 24px 28px; display: flex; flex-direction: column; gap: 10px;
}
.login h2 { margin: 0; }
.login p { margin: 0; color: var(--muted); font-size: 14px; line-height: 1.4; }
.login label { font-weight: 600; font-size: 14px; }
.login input { font: inherit; padding: 8px; border: 1px solid var(--line); border-radius: 4px; }
.login button { background: var(--accent); border-color: var(--accent); padding: 8px; font-size: 15px; }
.error { color: var(--alert); font-weight: 600; }
main { padding: 20px 24px 32px; display: flex; flex-direction: column; gap: 16px; }
.kpis { display: grid; grid-template-columns: repeat(8, minmax(0, 1fr)); gap: 12px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi h3 { margin: 0; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.kpi p { margin: 4px 0 2px; font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi small { color: var(--muted); font-size: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.card h2 { margin: 0 0 8px; font-size: 15px; }
.card h2 small { font-weight: 400; color: var(--muted); margin-left: 6px; }
.row { display: grid; gap: 16px; }
.row.two { grid-template-columns: 1fr 1fr; }
.row.three { grid-template-columns: 1fr 1.4fr 1.2fr; }
@media (max-width: 1000px) {
  .kpis { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .row.two, .row.three { grid-template-columns: 1fr; }
}
.chart svg { width: 100%; height: auto; display: block; }
.chart text { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { stroke: #aab3c2; stroke-width: 1; }
.chart .bar.issued, .legend .issued::before { fill: var(--issued); background: var(--issued); }
.chart .bar.redeemed, .legend .redeemed::before { fill: var(--redeemed); background: var(--redeemed); }
.chart .bar.expired, .legend .expired::before { fill: var(--expired); background: var(--expired); }
.chart .bar.tier { fill: var(--accent); }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 2; }
.chart .line.liability { stroke: var(--issued); }
.chart .area { fill: var(--accent); opacity: .08; }
.chart .area.liability { fill: var(--issued); }
.chart .dot { fill: var(--accent); }
.chart .dot.liability { fill: var(--issued); }
.chart .threshold { stroke: var(--alert); stroke-dasharray: 4 3; stroke-width: 1; }
.chart text.threshold-label { fill: var(--alert); }
.chart text.value { fill: var(--ink); font-weight: 600; }
.chart .empty { font-size: 13px; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-bottom: 4px; }
.legend .key::before { content: ''; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
table.items { width: 100%; border-collapse: collapse; font-size: 13px; }
.items th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); padding: 4px 6px; }
.items td { padding: 5px 6px; border-bottom: 1px solid #eef1f6; font-variant-numeric: tabular-nums; }
.items .n { text-align: right; }
.alerts { list-style: none; margin: 0; padding: 0; max-height: 420px; overflow: auto; display: flex; flex-direction: column; gap: 6px; font-size: 13px; }
.alerts li { border-left: 3px solid var(--alert); background: #fdf3f3; padding: 6px 10px; border-radius: 0 4px 4px 0; }
.alerts li b { display: block; color: var(--alert); }
.alerts li span { color: var(--muted); }
.empty { color: var(--muted); font-size: 13px; }
.as-of { color: var(--muted); font-size: 12px; }
`;
