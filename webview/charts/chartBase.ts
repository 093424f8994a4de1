/**
 * The frame every chart shares: a card (`figure`) with a title, tool buttons (export PNG/SVG, chart
 * specific toggles) and a hover tooltip; plus the export plumbing (SVG string -> PNG via canvas).
 */

/** What a chart asks the app to do when the user exports it. */
export type ExportHandler = (format: 'png' | 'svg', fileStem: string, svg: string, width: number, height: number) => void;

/** Options every chart takes. */
export interface ChartFrameOptions {
  title: string;
  /** Small grey text after the title. */
  subtitle?: string;
  /** File name stem for exports, e.g. `loss-slots`. */
  fileStem: string;
  onExport?: ExportHandler;
  /** Value for `data-chart-id` (stable across redraws; e2e tests may use it). */
  chartId?: string;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A titled card with tools and a tooltip; subclasses fill `body`. */
export class ChartFrame {
  readonly figure: HTMLElement;
  readonly body: HTMLDivElement;
  readonly tools: HTMLDivElement;
  readonly caption: HTMLElement;
  readonly tip: HTMLDivElement;
  private readonly titleEl: HTMLHeadingElement;
  private cachedWidth?: number;
  private resizeObserver?: ResizeObserver;

  constructor(container: HTMLElement, protected readonly frameOptions: ChartFrameOptions, exportSvg: () => { svg: string; width: number; height: number }) {
    this.figure = el('figure', { class: 'fmtl-chart' });
    if (frameOptions.chartId) this.figure.dataset.chartId = frameOptions.chartId;
    const header = el('header');
    this.titleEl = el('h3');
    this.setTitle(frameOptions.title, frameOptions.subtitle);
    this.tools = el('div', { class: 'tools' });
    header.append(this.titleEl, this.tools);
    this.body = el('div');
    this.caption = el('figcaption');
    this.tip = el('div', { class: 'fmtl-tip', role: 'tooltip' });
    this.figure.append(header, this.body, this.caption, this.tip);
    container.append(this.figure);
    if (frameOptions.onExport) {
      for (const format of ['png', 'svg'] as const) {
        this.addTool(format.toUpperCase(), `Export this chart as ${format.toUpperCase()}`, () => {
          const { svg, width, height } = exportSvg();
          frameOptions.onExport!(format, frameOptions.fileStem, svg, width, height);
        });
      }
    }
  }

  setTitle(title: string, subtitle?: string): void {
    this.titleEl.textContent = title;
    this.titleEl.title = title;
    if (subtitle) this.titleEl.append(el('small', {}, subtitle));
  }

  /** Adds a small button to the header; returns it (for aria-pressed toggles). */
  addTool(label: string, title: string, onClick: () => void, prepend = false): HTMLButtonElement {
    const b = el('button', { class: 'fmtl-btn', title, type: 'button' }, label);
    b.addEventListener('click', onClick);
    if (prepend) this.tools.prepend(b); else this.tools.append(b);
    return b;
  }

  /**
   * Inner width available for the plot. Cached from a ResizeObserver: reading clientWidth in every
   * draw would force a synchronous layout per chart per frame (measured: the largest cost).
   */
  get width(): number {
    if (this.cachedWidth === undefined) this.cachedWidth = Math.floor(this.body.clientWidth);
    return Math.max(200, this.cachedWidth || 400);
  }

  /** Calls `listener` when the card's width changes (after layout; never forces one). */
  onResize(listener: () => void): void {
    if (typeof ResizeObserver !== 'function') return;
    this.resizeObserver = new ResizeObserver((entries) => {
      const w = Math.floor(entries[entries.length - 1].contentRect.width);
      if (w === this.cachedWidth || w === 0) return;
      this.cachedWidth = w;
      listener();
    });
    this.resizeObserver.observe(this.body);
  }

  /** Shows the tooltip near (x, y) in figure coordinates; `html` is built from escaped parts only. */
  showTip(html: string, x: number, y: number): void {
    this.tip.innerHTML = html;
    this.tip.style.display = 'block';
    const fw = this.figure.clientWidth;
    const tw = this.tip.offsetWidth;
    const left = x + 14 + tw > fw ? Math.max(0, x - 14 - tw) : x + 14;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(0, y - 10)}px`;
  }

  hideTip(): void {
    this.tip.style.display = 'none';
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    this.figure.remove();
  }
}

/** Renders an SVG string to PNG (base64, no prefix) at `scale`x for crisp exports. */
export async function svgToPngBase64(svg: string, width: number, height: number, scale = 2): Promise<string> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.width = width;
    img.height = height;
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('could not rasterise the chart'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Number formatting for read-outs: 4 significant digits, exponent for tiny values. */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
