// Line charts for the benchmarks' curves: lineChart() draws one as a self-contained SVG (axes
// with labels and units, log or linear scales, a legend, each point's value written beside it),
// and renderPngs() turns SVGs into PNGs with Debian's Chromium through playwright-core (the
// browser on this machine: nothing is downloaded).
import { writeFileSync } from 'node:fs';

const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
/** Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

/** 1,234 / 12.3 / 0.123: grouped thousands, three significant digits below 100. */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100 || a === 0 || Number.isInteger(x)) return Math.round(x).toLocaleString('en-US');
  return x.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

/** Linear ticks: a step of 1, 2 or 5 x 10^k giving about `count` intervals from 0 or lo. */
function linearTicks(lo, hi, count = 5) {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return { ticks, hi: Math.max(hi, ticks.at(-1)) };
}

/** Powers of ten from below lo to above hi; with 2 and 5 times them over less than 3 decades. */
function decadeTicks(lo, hi) {
  const steps = hi / lo < 1000 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const s of steps) ticks.push(Number((s * 10 ** e).toPrecision(12)));
  }
  return ticks;
}

/**
 * An axis: scale(value) -> pixel and its ticks. Log axes span the data padded by a tenth of a
 * decade each side (ticks: the given ones, else the decades inside); linear ones start at 0
 * unless `min` says otherwise and end on a tick above the data.
 */
function axis(spec, values, from, to) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (spec.log) {
    const a = Math.log10(spec.min ?? lo) - 0.12;
    const b = Math.log10(spec.max ?? hi) + (spec.headroom ?? 0.12);
    const scale = (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from);
    const ticks = (spec.ticks ?? decadeTicks(10 ** a, 10 ** b)).filter((t) => Math.log10(t) >= a);
    return { scale, ticks: ticks.filter((t) => Math.log10(t) <= b) };
  }
  const min = spec.min ?? 0;
  const { ticks, hi: top } = spec.ticks
    ? { ticks: spec.ticks, hi: spec.max ?? hi }
    : linearTicks(min, (spec.max ?? hi) * (spec.headroom ?? 1.12));
  const scale = (v) => from + ((v - min) / (top - min)) * (to - from);
  return { scale, ticks };
}

/**
 * Puts each value label (12 px bold, ~7.2 px a character) beside its point: of eight spots around
 * it (above, below, right, left, diagonals, further out), the first that overlaps nothing, else
 * the one overlapping least — another label counts most, then a marker, then a line, and a spot
 * outside the plot is last.
 */
function placeLabels(labels, { plot, segments, markers }) {
  const placed = [];
  const hits = (box, x, y) => x >= box.l && x <= box.r && y >= box.t && y <= box.b;
  const crosses = (box, [a, b]) => {
    const steps = Math.ceil(Math.hypot(b.px - a.px, b.py - a.py) / 3);
    for (let k = 0; k <= steps; k++) {
      const f = k / steps;
      if (hits(box, a.px + f * (b.px - a.px), a.py + f * (b.py - a.py))) return true;
    }
    return false;
  };
  // Topmost points choose first, so where two points nearly coincide the upper value sits above.
  return [...labels]
    .sort((a, b) => a.py - b.py)
    .map((l) => {
      const w = l.label.length * 7.2 + 4;
      const spots = [
        [0, -10, 'middle'],
        [0, 21, 'middle'],
        [9, -7, 'start'],
        [9, 17, 'start'],
        [-9, -7, 'end'],
        [-9, 17, 'end'],
        [10, 5, 'start'],
        [-10, 5, 'end'],
        [0, -26, 'middle'],
        [0, 37, 'middle'],
      ];
      let best;
      for (const [dx, dy, anchor] of spots) {
        const x = l.px + dx;
        const y = l.py + dy;
        const left = anchor === 'start' ? x - 2 : anchor === 'end' ? x - w + 2 : x - w / 2;
        const box = { l: left, r: left + w, t: y - 11, b: y + 3 };
        const cost =
          (box.l < plot.x0 + 2 ||
          box.r > plot.x1 + 30 ||
          box.t < plot.y1 - 14 ||
          box.b > plot.y0 - 2
            ? 1000
            : 0) +
          100 *
            placed.filter((o) => o.l < box.r && box.l < o.r && o.t < box.b && box.t < o.b).length +
          10 *
            markers.filter(
              (m) =>
                m !== l &&
                hits({ l: box.l - 5, r: box.r + 5, t: box.t - 5, b: box.b + 5 }, m.px, m.py),
            ).length +
          segments.filter((sg) => crosses(box, sg)).length;
        if (!best || cost < best.cost) best = { cost, x, y, anchor, box };
        if (cost === 0) break;
      }
      placed.push(best.box);
      return { ...l, x: best.x, y: best.y, anchor: best.anchor };
    });
}

/**
 * One line chart as SVG text.
 *   title, subtitle, note (small print under the plot)
 *   x, y: { label, log?, min?, max?, ticks?, format?(value) -> tick text }
 *   series: [{ name, points: [{ x, y, label? }], color?, dash? }]
 *   valueLabel(point, series) -> the text written by each point (default y formatted), or null
 */
export function lineChart({
  title,
  subtitle = '',
  note = '',
  x: xSpec,
  y: ySpec,
  series,
  valueLabel,
  width = 800,
  height = 480,
}) {
  // Legend: entries flow left to right above the plot, wrapping at the right margin. DejaVu Sans
  // at 14 px averages ~7.7 px a character: enough to keep entries apart without measuring.
  const legend = [];
  let lx = 92;
  let row = 0;
  for (const [i, s] of series.entries()) {
    const w = 36 + s.name.length * 7.7;
    if (lx + w > width - 24 && lx > 92) {
      lx = 92;
      row++;
    }
    legend.push({ s, i, x: lx, y: (subtitle ? 76 : 56) + row * 22 });
    lx += w + 24;
  }
  const m = {
    top: (subtitle ? 76 : 56) + row * 22 + 30,
    right: 36,
    bottom: note ? 78 : 60,
    left: 92,
  };
  const plot = { x0: m.left, x1: width - m.right, y0: height - m.bottom, y1: m.top };
  const points = series.flatMap((s) => s.points);
  const X = axis(
    xSpec,
    points.map((p) => p.x),
    plot.x0 + (xSpec.log ? 0 : 12),
    plot.x1 - 12,
  );
  const Y = axis(
    ySpec,
    points.map((p) => p.y),
    plot.y0,
    plot.y1,
  );
  const fx = xSpec.format ?? formatNumber;
  const fy = ySpec.format ?? formatNumber;
  const out = [];
  const text = (x, y, s, attrs = '') =>
    out.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);

  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  text(m.left, 28, title, 'font-size="19" font-weight="bold" fill="#222"');
  if (subtitle) text(m.left, 50, subtitle, 'font-size="13" fill="#555"');

  for (const { s, i, x: ex, y: ey } of legend) {
    const color = s.color ?? COLORS[i % COLORS.length];
    out.push(
      `<line x1="${ex}" y1="${ey - 5}" x2="${ex + 28}" y2="${ey - 5}" stroke="${color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<circle cx="${ex + 14}" cy="${ey - 5}" r="4.5" fill="${color}" stroke="#fff" stroke-width="1.5"/>`,
    );
    text(ex + 36, ey, s.name, 'font-size="14" fill="#222"');
  }

  // Grid and ticks.
  for (const t of Y.ticks) {
    const py = Y.scale(t);
    out.push(
      `<line x1="${plot.x0}" y1="${py.toFixed(1)}" x2="${plot.x1}" y2="${py.toFixed(1)}" stroke="#e4e4e4"/>`,
    );
    text(plot.x0 - 10, py + 4.5, fy(t), 'font-size="13" fill="#444" text-anchor="end"');
  }
  for (const t of X.ticks) {
    const px = X.scale(t);
    out.push(
      `<line x1="${px.toFixed(1)}" y1="${plot.y1}" x2="${px.toFixed(1)}" y2="${plot.y0}" stroke="#efefef"/>`,
      `<line x1="${px.toFixed(1)}" y1="${plot.y0}" x2="${px.toFixed(1)}" y2="${plot.y0 + 5}" stroke="#666"/>`,
    );
    text(px, plot.y0 + 21, fx(t), 'font-size="13" fill="#444" text-anchor="middle"');
  }
  out.push(
    `<line x1="${plot.x0}" y1="${plot.y0}" x2="${plot.x1}" y2="${plot.y0}" stroke="#666"/>`,
    `<line x1="${plot.x0}" y1="${plot.y0}" x2="${plot.x0}" y2="${plot.y1}" stroke="#666"/>`,
  );
  const xTitle = xSpec.log ? `${xSpec.label} (log scale)` : xSpec.label;
  text(
    (plot.x0 + plot.x1) / 2,
    plot.y0 + 44,
    xTitle,
    'font-size="14" fill="#222" text-anchor="middle"',
  );
  const yTitle = ySpec.log ? `${ySpec.label} (log scale)` : ySpec.label;
  const ymid = (plot.y0 + plot.y1) / 2;
  text(
    22,
    ymid,
    yTitle,
    `font-size="14" fill="#222" text-anchor="middle" transform="rotate(-90 22 ${ymid})"`,
  );
  if (note) text(m.left, height - 12, note, 'font-size="12" fill="#777"');

  // Lines, then markers over every line, then the values.
  const drawn = series.map((s, i) => ({
    s,
    color: s.color ?? COLORS[i % COLORS.length],
    pts: s.points.map((p) => ({ ...p, px: X.scale(p.x), py: Y.scale(p.y) })),
  }));
  for (const { s, color, pts } of drawn) {
    const d = pts.map((p, k) => `${k ? 'L' : 'M'}${p.px.toFixed(1)},${p.py.toFixed(1)}`).join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
  }
  for (const { color, pts } of drawn) {
    for (const p of pts) {
      out.push(
        `<circle cx="${p.px.toFixed(1)}" cy="${p.py.toFixed(1)}" r="4.5" fill="${color}" stroke="#fff" stroke-width="1.5"/>`,
      );
    }
  }
  const labels = drawn.flatMap(({ s, color, pts }) =>
    pts
      .map((p) => ({ ...p, color, label: valueLabel ? valueLabel(p, s) : fy(p.y) }))
      .filter((l) => l.label != null),
  );
  const segments = drawn.flatMap(({ pts }) => pts.slice(1).map((p, k) => [pts[k], p]));
  const markers = drawn.flatMap(({ pts }) => pts);
  for (const l of placeLabels(labels, { plot, segments, markers })) {
    text(
      l.x,
      l.y,
      l.label,
      `font-size="12" fill="${l.color}" text-anchor="${l.anchor}" font-weight="bold" paint-order="stroke" stroke="#fff" stroke-width="3"`,
    );
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    ...out,
    '</svg>',
  ].join('\n');
}

/**
 * Writes each { svg, path } as a PNG of the SVG's size, with /usr/bin/chromium (override with
 * CHROMIUM), one browser for all. playwright-core is imported here only, when charts are asked for.
 */
export async function renderPngs(
  charts,
  { executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium' } = {},
) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    for (const { svg, path } of charts) {
      const size = /width="(\d+)" height="(\d+)"/.exec(svg);
      const viewport = { width: Number(size[1]), height: Number(size[2]) };
      const page = await browser.newPage({ viewport });
      await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
      writeFileSync(path, await page.screenshot({ clip: { x: 0, y: 0, ...viewport } }));
      await page.close();
    }
  } finally {
    await browser.close();
  }
}
