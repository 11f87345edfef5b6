import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A horizontal bar chart as SVG: no charting library, readable in any browser. */
export function barChartSvg(
  title: string,
  bars: Array<{ label: string; value: number }>,
  unit: string,
): string {
  const [left, rowH, width, top] = [300, 28, 420, 40];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = top + bars.length * rowH + 20;
  const rows = bars
    .map((b, i) => {
      const y = top + i * rowH;
      const w = Math.max(1, Math.round((width * b.value) / max));
      return `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>
<rect x="${left}" y="${y + 4}" width="${w}" height="${rowH - 8}" fill="#8b1a1a"/>
<text x="${left + w + 6}" y="${y + 17}">${b.value.toFixed(0)}</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 80}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)} (${esc(unit)})</text>
${rows}
</svg>`;
}

/** Renders an SVG file to PNG with headless Chromium when it is installed; false otherwise. */
export function svgToPng(svgPath: string, pngPath: string): boolean {
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) return false;
  const r = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      `--screenshot=${pngPath}`,
      '--window-size=820,300',
      `file://${svgPath}`,
    ],
    { timeout: 60_000, stdio: 'ignore' },
  );
  return r.status === 0 && existsSync(pngPath);
}
