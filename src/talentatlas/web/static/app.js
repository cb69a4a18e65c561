// talentatlas dashboard: every page is drawn from its URL (path and query), from the
// atlas's own REST API; charts are the atlas's plotly figures. No build step.
"use strict";

const page = document.getElementById("page");
const NUM = new Intl.NumberFormat("en", { maximumFractionDigits: 4 });
// numbers shown as they are (years, ranks), not with thousands separators
const PLAIN = new Set(["year", "first_year", "last_year", "from_year", "destination_year", "cohort", "rank", "k", "position"]);

function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = new Error(typeof body.detail === "string" ? body.detail : `${r.status} ${r.statusText}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

// a part of a page that has no data (a 4xx: an organisation with no entry cohorts)
// says so in its place and the rest of the page is drawn; anything else stops the page
async function part(el, draw) {
  try {
    await draw();
  } catch (e) {
    if (!(e.status >= 400 && e.status < 500)) throw e;
    el.classList.remove("chart");
    el.innerHTML = `<p class="muted nodata">Not shown: ${esc(e.message)}.</p>`;
  }
}

function withParams(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    (Array.isArray(v) ? v : [v]).forEach((x) => q.append(k, x));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// the page's state lives in its URL: change it without reloading
function setState(params) {
  history.replaceState(null, "", withParams(location.pathname, params));
}

async function chart(el, path) {
  el.innerHTML = "";
  delete el.dataset.rendered;
  el.classList.add("chart");
  await part(el, async () => {
    const fig = await api(path);
    await Plotly.newPlot(el, fig.data, fig.layout, fig.config);
    if (fig.layout.height) el.style.minHeight = "0"; // a figure of its own height: no blank below it
    el.dataset.rendered = "1";
  });
}

const LINKS = {
  country: (v) => `/country/${encodeURIComponent(v)}`,
  origin: (v) => `/country/${encodeURIComponent(v)}`,
  destination: (v) => `/country/${encodeURIComponent(v)}`,
  partner: (v) => `/country/${encodeURIComponent(v)}`,
  person_id: (v) => `/person/${encodeURIComponent(v)}`,
  institution_id: (v) => `/organisation/${encodeURIComponent(v)}`,
  unit_id: (v) => `/organisation/${encodeURIComponent(v)}`,
  counterpart: (v) => `/organisation/${encodeURIComponent(v)}`,
};

function cell(col, v) {
  if (v === null || v === undefined) return `<td class="muted">–</td>`;
  if (typeof v === "number") return `<td class="num">${PLAIN.has(col) ? v : NUM.format(v)}</td>`;
  if (Array.isArray(v)) return `<td>${esc(v.join(", "))}</td>`;
  if (typeof v === "object") return `<td>${esc(JSON.stringify(v))}</td>`;
  const link = LINKS[col];
  return link ? `<td><a href="${link(v)}">${esc(v)}</a></td>` : `<td>${esc(v)}</td>`;
}

// a table from an API path, with its CSV download (the same query, format=csv)
async function table(el, path, opts = {}) {
  let body = null;
  await part(el, async () => { body = await drawTable(el, path, opts); });
  return body;
}

async function drawTable(el, path, { columns = null, title = "", sortBy = null } = {}) {
  const body = await api(path);
  const cols = columns || body.columns;
  const rows = sortBy ? [...body.rows].sort((a, b) => (b[sortBy] ?? -Infinity) - (a[sortBy] ?? -Infinity)) : body.rows;
  const sep = path.includes("?") ? "&" : "?";
  const csv = `${path}${sep}format=csv`;
  const cov = body.meta && body.meta.coverage && body.meta.coverage.with_country;
  el.innerHTML = `${title ? `<h2>${esc(title)}</h2>` : ""}
    <div class="tools"><a class="csv" href="${csv}" download>Download CSV</a>
    <span class="muted">${body.total} rows${cov ? ` · ${Math.round(cov * 100)}% of authorships placed in a country` : ""}${body.meta && body.meta.filters ? ` · ${esc(body.meta.filters)}` : ""}${body.meta && body.meta.kind ? ` · <span class="kind">${esc(body.meta.kind)}; ${esc(body.meta.currency)} a year${body.meta.currency !== "USD" ? " (ECB yearly average of each record's year)" : ""}</span>` : ""}</span></div>
    <div class="table-wrap"><table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead>
    <tbody>${rows.map((r) => `<tr>${cols.map((c) => cell(c, r[c])).join("")}</tr>`).join("")}</tbody></table></div>`;
  el.dataset.rendered = "1";
  return body;
}

function section(id) {
  const d = document.createElement("section");
  d.id = id;
  page.appendChild(d);
  return d;
}

function div(id, cls = "") {
  const d = document.createElement("div");
  d.id = id;
  if (cls) d.className = cls;
  page.appendChild(d);
  return d;
}

let BUILD = null;
async function build() {
  if (!BUILD) BUILD = await api("/api/build");
  return BUILD;
}

// -- pages ------------------------------------------------------------------------------
async function worldPage(q) {
  const b = await build();
  const year = Number(q.get("year")) || b.latest_complete_year;
  const value = q.get("value") === "stock" ? "stock" : "net_rate";
  const years = [];
  for (let y = b.years[1]; y >= Math.max(b.years[0], 2000); y--) years.push(y);
  page.innerHTML = `<h1>Where AI researchers are and where they go</h1>
    <p class="muted">${NUM.format(b.counts.persons)} researchers, ${NUM.format(b.counts.works)} papers; ${Math.round(b.coverage_in_scope.with_country * 100)}% of in-scope authorships placed in a country.</p>
    <div class="controls">
      <label>Measure <select id="value"><option value="net_rate">Net migration rate (per 10,000)</option><option value="stock">Researchers</option></select></label>
      <label>Year <select id="year">${years.map((y) => `<option>${y}</option>`).join("")}</select></label>
    </div>`;
  const map = div("map");
  const tab = section("map-table");
  document.getElementById("value").value = value;
  document.getElementById("year").value = String(year);
  const draw = async () => {
    const v = document.getElementById("value").value;
    const y = document.getElementById("year").value;
    setState({ value: v === "net_rate" ? null : v, year: y });
    await chart(map, withParams("/api/charts/map", { value: v, year: y }));
    await table(tab, withParams("/api/migration", { year: y }), {
      title: `Countries in ${y}`,
      sortBy: "stock",
      columns: ["country", "stock", "inflow", "outflow", "net", "net_rate", "net_rate_lo", "net_rate_hi", "coverage"],
    });
  };
  document.getElementById("value").onchange = draw;
  document.getElementById("year").onchange = draw;
  await draw();
}

const REGION = new Intl.DisplayNames(["en"], { type: "region" });
function countryName(code) {
  try { return REGION.of(code.toUpperCase()) || code; } catch { return code; }
}

async function countryPage(code) {
  const b = await build();
  const c = encodeURIComponent(code);
  page.innerHTML = `<h1>AI researchers: ${esc(countryName(code))}</h1><p><a href="/">← world map</a></p>`;
  const facts = div("facts", "facts card");
  const latest = await api(withParams("/api/migration", { country: code, year: b.latest_complete_year }));
  const r = latest.rows[0];
  if (r) {
    const share = await api(withParams("/api/countries", { year: b.latest_complete_year, limit: 1000 }));
    const mine = share.rows.find((x) => x.country === r.country);
    const ONE = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
    const rate = r.net_rate === null ? "–" : `${r.net_rate > 0 ? "+" : ""}${ONE.format(r.net_rate)}`;
    facts.innerHTML = [
      [NUM.format(r.stock), `researchers in ${r.year}`],
      [mine && mine.share !== null ? `${(mine.share * 100).toFixed(1)}%` : "–", "of the world's researchers"],
      [`${NUM.format(r.inflow)} / ${NUM.format(r.outflow)}`, "moved in / out"],
      [rate, `net per 10,000${r.net_rate_lo !== null && r.net_rate_lo !== undefined ? ` [${ONE.format(r.net_rate_lo)}, ${ONE.format(r.net_rate_hi)}]` : ""}`],
    ].map(([v, k]) => `<div><b>${esc(v)}</b>${esc(k)}</div>`).join("");
  }
  await chart(div("trend-net"), `/api/charts/country/${c}?value=net_rate`);
  await chart(div("trend-stock"), `/api/charts/country/${c}?value=stock`);
  await table(section("migration"), withParams("/api/migration", { country: code }), { title: "Per year" });
  await table(section("partners"), `/api/countries/${c}/partners`, { title: "Partners: moves to and from" });
  await chart(div("sector-chart"), withParams("/api/charts/sectors", { country: code }));
  await table(section("sectors"), withParams("/api/sectors", { country: code }), {
    title: "Academia and industry, per year (researchers placed in the country that year)",
    columns: ["year", "academia", "industry", "industry_share", "share_lo", "share_hi", "academia_to_industry", "industry_to_academia", "coverage"],
  });
  await table(section("organisations"), withParams("/api/rankings/organisation", { country: code, limit: 15 }), {
    title: "Top organisations (CSRankings rule)",
    columns: ["rank", "unit_id", "name", "sector", "researchers", "works", "score"],
  });
  const cov = section("coverage-note");
  cov.innerHTML = `<h2>Coverage</h2><p class="muted">A researcher counts for ${esc(countryName(code))} only in the years an authorship places them there.
    The shares below are of each year's in-scope authorships (every country): years with low country coverage undercount every country alike.</p>`;
  await chart(div("coverage-chart"), "/api/charts/coverage");
  await table(section("coverage"), "/api/coverage", { title: "Coverage per year" });
}

async function flowsPage(q) {
  const since = q.get("year_min") || "";
  const until = q.get("year_max") || "";
  const b = await build();
  const venue = q.get("venue") || "";
  const year = q.get("year") || String(b.latest_complete_year);
  page.innerHTML = `<h1>Moves between countries</h1>
    <form class="controls" id="f"><label>From <input name="year_min" type="number" value="${esc(since)}"></label>
    <label>To <input name="year_max" type="number" value="${esc(until)}"></label>
    <label>Pathways of <select name="venue"><option value="">every venue</option>${b.venues.map((v) => `<option>${esc(v)}</option>`).join("")}</select></label>
    <label>in <input name="year" type="number" value="${esc(year)}"></label><button>Show</button></form>`;
  document.querySelector("select[name=venue]").value = venue;
  document.getElementById("f").onsubmit = (e) => {
    e.preventDefault();
    const d = new FormData(e.target);
    location.search = new URLSearchParams([...d].filter(([, v]) => v)).toString();
  };
  await chart(div("sankey"), withParams("/api/charts/flows", { year_min: since, year_max: until }));
  await table(section("flows"), withParams("/api/flows", { limit: 200 }), { title: "Flows per year" });
  await chart(div("pathways"), withParams("/api/charts/pathways", { venue, year }));
  await table(section("paths"), withParams(`/api/pathways/paths`, { venue, year, limit: 200 }), { title: "Pathways: counts" });
}

async function organisationPage(id) {
  const o = encodeURIComponent(id);
  page.innerHTML = `<h1 id="org-name">Organisation</h1>`;
  const found = await api(withParams("/api/organisations", { q: id, limit: 1 }));
  const org = found.rows[0];
  if (org) {
    document.getElementById("org-name").textContent = org.name;
    const where = org.country ? `<a href="/country/${encodeURIComponent(org.country)}">${esc(countryName(org.country))}</a>` : "country unknown";
    const p = document.createElement("p");
    p.className = "muted";
    p.innerHTML = `${esc(org.sector || "sector unknown")} · ${where} · ${esc(id)}${org.org_name && org.org_name !== org.name ? ` · part of ${esc(org.org_name)}` : ""}`;
    page.appendChild(p);
  }
  await chart(div("headcount-chart"), `/api/charts/organisation/${o}/headcount`);
  await chart(div("output-chart"), `/api/charts/organisation/${o}/output`);
  await table(section("headcount"), `/api/organisations/${o}/headcount`, { title: "Headcount and output per year" });
  if ((await build()).pay) {
    await chart(div("pay-chart"), withParams("/api/charts/pay", { institution: id, by: "family" }));
    await table(section("pay"), `/api/organisations/${o}/pay`, { title: "Pay: offered base wages on H-1B filings, by role family" });
  }
  await table(section("flows"), withParams(`/api/organisations/${o}/flows`, { limit: 30 }), { title: "Inflow and outflow by counterpart" });
  await chart(div("retention-chart"), `/api/charts/organisation/${o}/retention`);
  await table(section("retention"), `/api/organisations/${o}/retention`, { title: "Retention by entry cohort" });
  await table(section("labs"), withParams(`/api/organisations/${o}/labs`, { limit: 50 }), { title: "Labs and units below it" });
  await table(section("joined"), withParams("/api/moves", { institution: id, limit: 50 }), { title: "Who joined and who left" });
}

async function peoplePage(q) {
  const name = q.get("q") || "";
  page.innerHTML = `<h1>People</h1>
    <form class="controls" id="f"><label>Name <input name="q" id="q" value="${esc(name)}" placeholder="e.g. Yoshua Bengio"></label>
    <button>Search</button></form>`;
  document.getElementById("f").onsubmit = (e) => {
    e.preventDefault();
    location.search = new URLSearchParams({ q: document.getElementById("q").value }).toString();
  };
  await table(section("results"), withParams("/api/people", { q: name, limit: 50 }), {
    title: name ? `Matches for “${name}”` : "Most published",
    columns: ["rank", "person_id", "name", "works", "adjusted", "institution", "country", "sector", "stage", "first_year", "last_year"],
  });
}

async function personPage(id) {
  const p = await api(`/api/people/${encodeURIComponent(id)}`);
  const s = p.summary;
  page.innerHTML = `<h1>${esc(s.name)}</h1><p class="muted">${esc(s.identity || "")}</p>
    <div class="facts card">${[["works", s.works], ["first author", s.first_author], ["last author", s.last_author], ["top tier", s.top_tier], ["years", `${s.first_year}–${s.last_year}`]]
      .map(([k, v]) => `<div><b>${esc(v)}</b>${esc(k)}</div>`).join("")}</div>`;
  const rows = (t, cols) => `<div class="table-wrap"><table><thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>${t.map((r) => `<tr>${cols.map((c) => cell(c, r[c])).join("")}</tr>`).join("")}</tbody></table></div>`;
  const h = document.createElement("h2");
  h.textContent = "Career";
  page.appendChild(h);
  await chart(div("career-map"), `/api/charts/person/${encodeURIComponent(id)}`);
  const tl = section("timeline");
  await table(tl, `/api/people/${encodeURIComponent(id)}/timeline`);
  const w = section("works");
  w.innerHTML = `<h2>Works</h2>${rows(p.works.slice(0, 100), ["year", "venue", "tier", "title", "institution", "country"])}`;
  const c = section("coauthors");
  c.innerHTML = `<h2>Co-authors</h2>${rows(p.coauthors, Object.keys(p.coauthors[0] || {}))}`;
}

async function rankingsPage(q) {
  const level = q.get("level") === "organisation" ? "organisation" : "institution";
  page.innerHTML = `<h1>Rankings</h1><div class="controls"><label>Rank <select id="level"><option value="institution">Institutions</option><option value="organisation">Organisations</option></select></label></div>`;
  const sel = document.getElementById("level");
  sel.value = level;
  sel.onchange = () => { location.search = new URLSearchParams({ level: sel.value }).toString(); };
  await table(section("ranking"), withParams(`/api/rankings/${level}`, { limit: 100 }), { title: "By the CSRankings rule" });
}

const FAMILIES = ["research-scientist", "applied-scientist", "ml-engineer", "data-scientist", "software-engineer", "research-engineer", "professor-postdoc"];
const CURRENCIES = ["USD", "EUR", "GBP", "KRW", "CNY", "JPY", "INR", "CAD", "CHF"];

async function payPage(q) {
  const b = await build();
  page.innerHTML = `<h1>Pay</h1>`;
  if (!b.pay) {
    page.innerHTML += `<p class="muted nodata">This warehouse holds no pay records: add pay files (OEWS, LCA filings, prevailing wages, offers) and rebuild it.</p>`;
    return;
  }
  // the defaults are the ones the server warms (web/warm.py: PAY_FAMILY, PAY_AREAS)
  const family = FAMILIES.includes(q.get("family")) ? q.get("family") : "software-engineer";
  const areas = q.getAll("area").length ? q.getAll("area") : ["San Jose", "Seattle", "New York"];
  const currency = CURRENCIES.includes(q.get("currency")) ? q.get("currency") : "USD";
  page.innerHTML += `<p class="muted">What a role pays where: OEWS's distribution of all employees in the occupation, beside the wages offered on H-1B filings (base pay, no bonus or equity) at the area's worksites.</p>
    <form class="controls" id="f">
      <label>Role <select id="family">${FAMILIES.map((x) => `<option>${x}</option>`).join("")}</select></label>
      <label>Areas <input id="areas" size="40" value="${esc(areas.join("; "))}" title="Areas separated by ';': a state (CA), a metro by a city (San Jose), or national"></label>
      <label>Currency <select id="currency">${CURRENCIES.map((x) => `<option>${x}</option>`).join("")}</select></label>
      <button>Show</button>
    </form>`;
  document.getElementById("family").value = family;
  document.getElementById("currency").value = currency;
  document.getElementById("f").onsubmit = (e) => {
    e.preventDefault();
    const p = new URLSearchParams({ family: document.getElementById("family").value, currency: document.getElementById("currency").value });
    document.getElementById("areas").value.split(";").map((x) => x.trim()).filter(Boolean).forEach((x) => p.append("area", x));
    location.search = p.toString();
  };
  const params = { family, area: areas, currency };
  await chart(div("compare-chart"), withParams("/api/charts/pay/compare", params));
  await table(section("compare"), withParams("/api/pay/compare", params), { title: `${family}: pay by area` });
  await chart(div("employers-chart"), withParams("/api/charts/pay", { family, by: "employer", currency }));
  await table(section("employers"), withParams("/api/pay", { family, by: "employer", currency, top: 30 }), { title: `${family}: offered base wages by employer (H-1B filings)` });
}

async function methodologyPage() {
  const b = await build();
  const doc = await api("/api/methodology");
  page.innerHTML = `<div class="doc-layout"><nav class="toc card" aria-label="Contents">${doc.sections
    .map((x) => `<a class="toc-${x.level}" href="#${esc(x.id)}">${esc(x.title)}</a>`).join("")}</nav>
    <article class="doc card"><p class="muted">Build ${esc(b.build_id)} of ${esc(b.built_at)}: ${NUM.format(b.counts.authorships)} authorships,
    ${Math.round(b.coverage.with_country * 100)}% placed in a country.</p>${doc.html}</article></div>`;
  if (location.hash) {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
}

async function route() {
  const path = decodeURIComponent(location.pathname);
  const q = new URLSearchParams(location.search);
  try {
    if (path === "/") await worldPage(q);
    else if (path.startsWith("/country/")) await countryPage(path.slice(9));
    else if (path === "/flows") await flowsPage(q);
    else if (path.startsWith("/organisation/")) await organisationPage(path.slice(14));
    else if (path === "/people") await peoplePage(q);
    else if (path.startsWith("/person/")) await personPage(path.slice(8));
    else if (path === "/rankings") await rankingsPage(q);
    else if (path === "/pay") await payPage(q);
    else if (path === "/methodology") await methodologyPage();
    else page.innerHTML = `<p class="error">No such page.</p>`;
  } catch (e) {
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = e.message;
    page.appendChild(p);
  }
  document.body.dataset.ready = "1";
}

build().then((b) => {
  document.getElementById("footer").textContent = `talentatlas ${b.version} · build ${b.build_id} · ${b.built_at}`;
}).catch(() => {});
route();
