/**
 * The task graph as SVG (d3 v7): nodes (encoder, blocks, task outputs with their output port),
 * feedback arrows (fixed: one curve into a block; Gumbel: a fan into the candidate blocks, widths =
 * learned probabilities once a run exists), zoom / pan, node dragging, drag-to-connect from a port.
 * It owns no document state: it draws what `render()` gets and reports gestures through callbacks.
 */
import { drag, type D3DragEvent } from 'd3-drag';
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { GraphArrow, GraphBadges, GraphIssue, GraphModel, GraphTask, Point } from '../../src/shared/graphEditorProtocol';
import { ENCODER_NODE_ID } from '../../src/shared/graphEditorProtocol';
import { candidateBlocks, computeLayout, routeArrows, sharingGeometry } from './layout';
import type { ArrowGeometry, Layout, LayoutNode, StitchUnit, TieLink } from './layout';
import { issuesByTarget } from './issues';
import { arrowCaption, blockSub, blockTitle, FONT, labelSize, MIN_FONT, taskSub, taskTitle, textWidth } from './captions';
import { dict } from '../../src/shared/dict';

/** What is selected: a node (encoder, task output, block) or an arrow. */
export type GraphSelection = { kind: 'node' | 'arrow'; id: string };

/** Everything the view draws. */
export interface ViewState {
  model: GraphModel;
  badges?: GraphBadges;
  issues: GraphIssue[];
  selection?: GraphSelection;
  /** Broken text: show the last good drawing without editing gestures. */
  readOnly: boolean;
}

export interface ViewCallbacks {
  select(sel: GraphSelection | undefined): void;
  /** A node drag ended (or arrow keys moved a node): save positions. */
  moveNodes(positions: Record<string, Point>): void;
  /** A port was dropped on a node (`target` = node id) or on nothing. */
  connect(from: string, target: string | undefined, at: { clientX: number; clientY: number }): void;
  deleteArrow(id: string): void;
  /** Keyboard "add feedback" on a task. */
  startAddFeedback(taskId: string): void;
  /** Zoom / pan changed; `auto` = still fitted automatically (the user has not zoomed or panned). */
  viewChanged(t: { x: number; y: number; k: number; auto: boolean }): void;
}

type G = Selection<SVGGElement, unknown, null, undefined>;
const SVG = 'http://www.w3.org/2000/svg';
/** Margin around the fitted drawing, CSS pixels. */
const FIT_MARGIN = 6;
/** Largest automatic zoom. */
const MAX_ZOOM = 1.6;
/** Radius of a task's output port. */
const PORT_R = 7;

export class GraphView {
  readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly viewport: G;
  private readonly gColumns: G;
  private readonly gArrows: G;
  private readonly gNodes: G;
  /** Arrow labels: above every line and node, so each arrow's label is always clickable. */
  private readonly gLabels: G;
  /** Soft-sharing ties between encoder copies and cross-stitch bars (under the arrows). */
  private readonly gSharing: G;
  private readonly dragLine: Selection<SVGPathElement, unknown, null, undefined>;
  private readonly zoomBehavior: ZoomBehavior<SVGSVGElement, unknown>;
  private state?: ViewState;
  private layout?: Layout;
  /** Positions of nodes being dragged (until the document confirms them). */
  private overrides: Record<string, Point> = dict();
  private transform: ZoomTransform = zoomIdentity;
  /** True while a node or port drag is in progress (incoming snapshots must not yank it). */
  dragging = false;
  /** Until the user zooms or pans, the view follows the panel size and the graph's extent. */
  private autoFit = true;
  private fittedBounds = '';

  constructor(container: HTMLElement, private readonly cb: ViewCallbacks) {
    const svgEl = document.createElementNS(SVG, 'svg');
    container.appendChild(svgEl);
    this.svg = select(svgEl).attr('class', 'graph-svg').attr('role', 'group').attr('aria-label', 'Task graph');
    const defs = this.svg.append('defs');
    for (const [id, cls] of [['fmtl-head', 'head'], ['fmtl-head-sel', 'head head-selected'], ['fmtl-head-off', 'head head-off'], ['fmtl-head-err', 'head head-error']]) {
      defs.append('marker').attr('id', id).attr('viewBox', '0 0 10 10').attr('refX', 9).attr('refY', 5)
        .attr('markerUnits', 'userSpaceOnUse').attr('markerWidth', 11).attr('markerHeight', 11).attr('orient', 'auto-start-reverse')
        .append('path').attr('d', 'M0,0 L10,5 L0,10 z').attr('class', cls);
    }
    this.viewport = this.svg.append('g').attr('class', 'viewport');
    this.gColumns = this.viewport.append('g').attr('class', 'columns');
    this.gSharing = this.viewport.append('g').attr('class', 'sharing');
    this.gArrows = this.viewport.append('g').attr('class', 'arrows');
    this.gNodes = this.viewport.append('g').attr('class', 'nodes');
    this.gLabels = this.viewport.append('g').attr('class', 'labels');
    this.dragLine = this.viewport.append('path').attr('class', 'drag-line').attr('marker-end', 'url(#fmtl-head-sel)').style('display', 'none');
    this.zoomBehavior = zoom<SVGSVGElement, unknown>().scaleExtent([0.2, 3])
      .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
        if (ev.sourceEvent) this.autoFit = false;
        this.transform = ev.transform;
        this.viewport.attr('transform', ev.transform.toString());
      })
      .on('end', () => this.cb.viewChanged({ x: this.transform.x, y: this.transform.y, k: this.transform.k, auto: this.autoFit }));
    // Panels get split, resized, moved between groups: keep an auto-fitted graph in view.
    let pending = false;
    new ResizeObserver(() => {
      if (!this.autoFit || pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; if (this.autoFit) this.fit(); });
    }).observe(svgEl);
    this.svg.call(this.zoomBehavior).on('dblclick.zoom', null);
    this.svg.on('click', (ev: MouseEvent) => {
      if (ev.target === svgEl) this.cb.select(undefined);
    });
  }

  /** Restore a saved zoom / pan (from `vscode.getState()`). */
  setTransform(t: { x: number; y: number; k: number }): void {
    this.autoFit = false;
    this.svg.call(this.zoomBehavior.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
  }

  /**
   * Zoom to show the whole drawing (nodes, arrows, labels, forks: its real extent, not just the
   * node boxes), filling the canvas up to a small margin. Never beyond MAX_ZOOM, so a tiny graph
   * in a big panel does not turn into a poster.
   */
  fit(): void {
    this.autoFit = true;
    if (!this.layout) return;
    const el = this.svg.node()!;
    const w = el.clientWidth || 800;
    const h = el.clientHeight || 600;
    const b = this.contentBox();
    const pad = FIT_MARGIN;
    const k = Math.min(MAX_ZOOM, Math.max(0.2, Math.min((w - 2 * pad) / b.w, (h - 2 * pad) / b.h)));
    const t = zoomIdentity.translate(w / 2 - k * (b.x + b.w / 2), h / 2 - k * (b.y + b.h / 2)).scale(k);
    this.svg.call(this.zoomBehavior.transform, t);
    this.fittedBounds = JSON.stringify(this.layout.bounds);
    this.cb.viewChanged({ x: t.x, y: t.y, k: t.k, auto: true });
  }

  /** Extent of what is drawn, in graph units (falls back to the node bounds before the first paint). */
  private contentBox(): { x: number; y: number; w: number; h: number } {
    const nb = this.layout!.bounds;
    try {
      const bb = this.viewport.node()!.getBBox();
      if (bb.width > 0 && bb.height > 0) return { x: bb.x, y: bb.y, w: bb.width, h: bb.height };
    } catch {
      // not rendered yet (hidden panel): node bounds
    }
    return nb;
  }

  /** Smallest text on screen at the current zoom, in CSS pixels (for the status line and tests). */
  smallestTextPx(): number {
    return MIN_FONT * this.transform.k;
  }

  /** Drop drag overrides (the document now has the positions, or the move was refused). */
  clearOverrides(): void {
    this.overrides = dict();
  }

  /** Focus a node or arrow element (keyboard path). */
  focus(id: string): void {
    const el = this.svg.node()!.querySelector<SVGGElement>(`[data-node-id="${CSS.escape(id)}"], [data-arrow-id="${CSS.escape(id)}"]`);
    el?.focus();
  }

  /** Client rectangle of a node or arrow (to place messages next to it). */
  rectOf(id: string): DOMRect | undefined {
    const el = this.svg.node()!.querySelector<SVGGElement>(`[data-node-id="${CSS.escape(id)}"] .box, [data-arrow-id="${CSS.escape(id)}"] .arrow-line`);
    return el?.getBoundingClientRect();
  }

  render(state: ViewState): void {
    this.state = state;
    const { model } = state;
    const layout = computeLayout(model, this.overrides);
    this.layout = layout;
    const errs = issuesByTarget(state.issues, model);
    this.svg.classed('read-only', state.readOnly);

    // Faint column backgrounds tie a task's blocks to its output.
    const columns = model.tasks.map((t) => {
      const ids = [t.id, ...t.blocks.map((b) => `${t.id}/${b.n}`)];
      const ns = ids.map((id) => layout.byId.get(id)!).filter(Boolean);
      const x0 = Math.min(...ns.map((n) => n.x - n.w / 2)) - 10;
      const x1 = Math.max(...ns.map((n) => n.x + n.w / 2)) + 10;
      const y0 = Math.min(...ns.map((n) => n.y - n.h / 2)) - 10;
      const y1 = Math.max(...ns.map((n) => n.y + n.h / 2)) + 10;
      return { id: t.id, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
    });
    this.gColumns.selectAll<SVGRectElement, (typeof columns)[number]>('rect').data(columns, (d) => d.id)
      .join('rect').attr('class', 'column').attr('rx', 10)
      .attr('x', (d) => d.x).attr('y', (d) => d.y).attr('width', (d) => d.w).attr('height', (d) => d.h);

    this.renderSharing(model, layout);
    const arrowById = new Map(model.arrows.map((a) => [a.id, a]));
    this.renderArrows(state, routeArrows(model, layout, (a) => labelSize(arrowCaption(arrowById.get(a.id) ?? a))), errs);
    this.renderNodes(state, layout, errs);
    if (this.autoFit && !this.dragging && layout.nodes.length && JSON.stringify(layout.bounds) !== this.fittedBounds) this.fit();
  }

  /** Dashed tie links (labelled with l2) between soft-sharing encoder copies; a bar per cross-stitch depth. */
  private renderSharing(model: GraphModel, layout: Layout): void {
    const { ties, stitches } = sharingGeometry(model, layout);
    const tie = this.gSharing.selectAll<SVGGElement, TieLink>('g.tie').data(ties, (d) => d.between.join('|'))
      .join((enter) => {
        const g = enter.append('g').attr('class', 'tie');
        g.append('path');
        g.append('rect');
        g.append('text').attr('text-anchor', 'middle').attr('dy', '0.35em');
        g.append('title');
        return g;
      });
    tie.select('path').attr('d', (d) => `M${d.from.x},${d.from.y} L${d.to.x},${d.to.y}`);
    tie.select('text').attr('x', (d) => (d.from.x + d.to.x) / 2).attr('y', (d) => (d.from.y + d.to.y) / 2).text((d) => d.label);
    tie.select('rect').each((d, i, els) => {
      const w = Math.ceil(textWidth(d.label, FONT.badge, false) + 12);
      select(els[i]).attr('x', (d.from.x + d.to.x) / 2 - w / 2).attr('y', (d.from.y + d.to.y) / 2 - 9).attr('width', w).attr('height', 18).attr('rx', 9);
    });
    tie.select('title').text((d) => `Soft sharing: ${d.between[0]} and ${d.between[1]} have their own encoder copies, tied by ${d.label.replace('L2', 'l2 ×')} × ‖θ_${d.between[0]} − θ_${d.between[1]}‖²`);
    const unit = this.gSharing.selectAll<SVGGElement, StitchUnit>('g.stitch').data(stitches, (d) => String(d.depth))
      .join((enter) => {
        const g = enter.append('g').attr('class', 'stitch');
        g.append('rect');
        // Left-aligned: feedback arrows cross between the towers, where a centred label would sit.
        g.append('text').attr('text-anchor', 'start').attr('dy', '0.35em');
        g.append('title');
        return g;
      });
    unit.select('rect').attr('x', (d) => d.x0).attr('y', (d) => d.y - 8).attr('width', (d) => d.x1 - d.x0).attr('height', 16).attr('rx', 8);
    unit.select('text').attr('x', (d) => d.x0 + 12).attr('y', (d) => d.y).text((d) => d.label);
    unit.select('title').text((d) => `Cross-stitch unit after block ${d.depth}: each of ${d.tasks.join(', ')} continues with a learned mix of all their block-${d.depth} outputs`);
  }

  private renderNodes(state: ViewState, layout: Layout, errs: Map<string, GraphIssue[]>): void {
    const { model, badges, selection } = state;
    const tasks = new Map(model.tasks.map((t) => [t.id, t]));
    const nodes = this.gNodes.selectAll<SVGGElement, LayoutNode>('g.node').data(layout.nodes, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('tabindex', 0).attr('role', 'button');
        g.append('rect').attr('class', 'box');
        g.append('text').attr('class', 'title');
        g.append('text').attr('class', 'sub');
        g.append('title');
        g.call((s) => this.nodeBehaviour(s));
        return g;
      });
    nodes
      .attr('class', (d) => `node node-${d.kind}`)
      .attr('data-node-id', (d) => d.id)
      .attr('transform', (d) => `translate(${d.x},${d.y})`)
      .classed('selected', (d) => selection?.kind === 'node' && selection.id === d.id)
      .classed('has-error', (d) => errs.has(d.id))
      .attr('aria-label', (d) => this.nodeLabel(d, model, badges, errs.get(d.id)));
    nodes.select<SVGRectElement>('rect.box')
      .attr('x', (d) => -d.w / 2).attr('y', (d) => -d.h / 2).attr('width', (d) => d.w).attr('height', (d) => d.h)
      .attr('rx', (d) => (d.kind === 'block' ? 6 : 9));
    nodes.select('text.title').attr('text-anchor', 'middle')
      .attr('y', (d) => (d.kind === 'block' ? (blockSub(tasks.get(d.taskId!)!.blocks[d.n! - 1]) ? -2 : 5) : -4))
      .text((d) => {
        if (d.kind === 'encoder') return d.taskId ? `Encoder · ${d.taskId}` : 'Shared encoder';
        if (d.kind === 'missing') return `"${d.missing!.name}"`;
        const t = tasks.get(d.taskId!)!;
        if (d.kind === 'task') return taskTitle(t);
        return blockTitle(t.blocks[d.n! - 1]);
      });
    nodes.select('text.sub').attr('text-anchor', 'middle')
      .attr('y', (d) => (d.kind === 'block' ? 13 : 14))
      .text((d) => {
        if (d.kind === 'encoder') return model.encoder;
        if (d.kind === 'missing') return 'no such task';
        const t = tasks.get(d.taskId!)!;
        if (d.kind === 'task') return taskSub(t);
        return blockSub(t.blocks[d.n! - 1]);
      });
    nodes.select('title').text((d) => (errs.get(d.id) ?? []).map((i) => `${i.severity}: ${i.message}`).join('\n'));

    // Output port (tasks only), metric badge (tasks with a run), error mark.
    nodes.each((d, i, els) => {
      const g = select(els[i]);
      const port = g.selectAll<SVGCircleElement, LayoutNode>('circle.port').data(d.kind === 'task' ? [d] : []);
      port.join((enter) => enter.append('circle').attr('class', 'port').call((s) => this.portBehaviour(s)))
        .attr('cx', 0).attr('cy', -d.h / 2).attr('r', PORT_R)
        .attr('data-port', d.taskId ?? null)
        .attr('aria-hidden', 'true');
      const badge = d.kind === 'task' ? badges?.tasks[d.taskId!] : undefined;
      const bg = g.selectAll<SVGGElement, string>('g.badge').data(badge ? [badge.text] : []);
      const bEnter = bg.enter().append('g').attr('class', 'badge');
      bEnter.append('rect');
      bEnter.append('text');
      const bAll = bEnter.merge(bg);
      // Centred above the box and lifted clear of the output port (top centre), which stays free
      // for dragging (the badge takes no pointer events).
      const bw = badge ? Math.ceil(textWidth(badge.text, FONT.badge, true) + 14) : 0;
      bAll.attr('transform', `translate(${-bw / 2},${-d.h / 2 - PORT_R - 12})`);
      bAll.select('text').attr('text-anchor', 'middle').attr('x', bw / 2).attr('dy', '0.35em').text((s) => s);
      bAll.select('rect').attr('x', 0).attr('y', -9).attr('width', bw).attr('height', 18).attr('rx', 9);
      bg.exit().remove();
      const e = errs.get(d.id);
      const mark = g.selectAll<SVGTextElement, string>('text.err-mark').data(e ? ['!'] : []);
      mark.join('text').attr('class', 'err-mark').attr('x', -d.w / 2 + 8).attr('y', -d.h / 2 + 12).text('!');
    });
  }

  private nodeLabel(d: LayoutNode, model: GraphModel, badges: GraphBadges | undefined, errs: GraphIssue[] | undefined): string {
    const err = errs?.length ? `. ${errs.length} problem${errs.length > 1 ? 's' : ''}: ${errs.map((x) => x.message).join('; ')}` : '';
    if (d.kind === 'encoder') return d.taskId ? `Encoder copy of task ${d.taskId} (soft sharing), ${model.encoder}${err}` : `Shared encoder, ${model.encoder}${err}`;
    if (d.kind === 'missing') return `No task "${d.missing!.name}": arrow ${d.missing!.arrowId} names it. Enter selects the arrow`;
    const t = model.tasks.find((x) => x.id === d.taskId)!;
    if (d.kind === 'task') {
      const b = badges?.tasks[t.id];
      return `Task ${t.id}, ${t.kind}, ${t.blocks.length} block${t.blocks.length === 1 ? '' : 's'}${b ? `, latest run ${b.label}${badges?.where ? ` (${badges.where})` : ''}${b.testText ? `, test ${b.testText}` : ''}` : ''}. Press A to add feedback from it${err}`;
    }
    const b = t.blocks[d.n! - 1];
    return `Block h${d.n} of task ${t.id}: ${b.type}${b.units !== undefined ? ` ${b.units} units` : ''}${b.activation ? `, ${b.activation}` : ''}${err}`;
  }

  private renderArrows(state: ViewState, geo: ArrowGeometry[], errs: Map<string, GraphIssue[]>): void {
    const { model, badges, selection } = state;
    const arrows = new Map(model.arrows.map((a) => [a.id, a]));
    const groups = this.gArrows.selectAll<SVGGElement, ArrowGeometry>('g.arrow').data(geo, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'arrow').attr('tabindex', 0).attr('role', 'button');
        g.append('path').attr('class', 'arrow-hit');
        g.append('path').attr('class', 'arrow-line');
        g.append('g').attr('class', 'branches');
        g.append('title');
        g.on('click', (ev: MouseEvent, d) => { ev.stopPropagation(); this.cb.select({ kind: 'arrow', id: d.id }); });
        g.on('keydown', (ev: KeyboardEvent, d) => {
          if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.cb.select({ kind: 'arrow', id: d.id }); }
          if ((ev.key === 'Delete' || ev.key === 'Backspace') && !this.state?.readOnly) {
            ev.preventDefault();
            ev.stopPropagation();
            this.cb.deleteArrow(d.id);
          }
        });
        return g;
      });
    groups
      .attr('data-arrow-id', (d) => d.id)
      .classed('selected', (d) => selection?.kind === 'arrow' && selection.id === d.id)
      .classed('disabled', (d) => arrows.get(d.id)?.enabled === false)
      .classed('gumbel', (d) => d.fork !== undefined)
      .classed('has-error', (d) => errs.has(d.id))
      .attr('aria-label', (d) => this.arrowLabel(arrows.get(d.id)!, d, badges, errs.get(d.id)));
    const head = (d: ArrowGeometry) => {
      const a = arrows.get(d.id)!;
      if (selection?.kind === 'arrow' && selection.id === d.id) return 'url(#fmtl-head-sel)';
      if (errs.has(d.id)) return 'url(#fmtl-head-err)';
      return a.enabled === false ? 'url(#fmtl-head-off)' : 'url(#fmtl-head)';
    };
    groups.select('path.arrow-hit').attr('d', (d) => d.path + d.branches.map((b) => ' ' + b.path).join(''));
    groups.select('path.arrow-line').attr('d', (d) => d.path).attr('marker-end', (d) => (d.fork ? null : head(d)));
    groups.select('title').text((d) => (errs.get(d.id) ?? []).map((i) => `${i.severity}: ${i.message}`).join('\n'));
    groups.each((d, i, els) => {
      const g = select(els[i]);
      const gate = badges?.arrows[d.id];
      const probOf = (n: number) => {
        if (!gate) return undefined;
        const j = gate.blocks.indexOf(n);
        return j >= 0 ? gate.probs[j] : undefined;
      };
      const br = g.select('g.branches').selectAll<SVGGElement, ArrowGeometry['branches'][number]>('g.branch').data(d.branches, (b) => String(b.block))
        .join((enter) => {
          const e = enter.append('g').attr('class', 'branch');
          e.append('path');
          e.append('text');
          return e;
        });
      br.classed('argmax', (b) => gate?.argmax === b.block);
      br.select('path').attr('d', (b) => b.path).attr('marker-end', head(d))
        .style('stroke-width', (b) => { const p = probOf(b.block); return p === undefined ? null : `${1.2 + 5 * p}px`; })
        .classed('unlearned', () => !gate);
      // Probability next to the fork end of its branch, above or below it, clear of the arrowhead.
      br.select('text')
        .attr('x', (b) => b.share.x).attr('y', (b) => b.share.y).attr('text-anchor', (b) => b.share.anchor)
        .text((b) => { const p = probOf(b.block); return p === undefined ? '' : `${Math.round(p * 100)}%`; });
      const fork = g.selectAll<SVGPathElement, Point>('path.fork').data(d.fork ? [d.fork] : []);
      fork.join('path').attr('class', 'fork').attr('d', (f) => `M${f.x},${f.y - 7} L${f.x + 7},${f.y} L${f.x},${f.y + 7} L${f.x - 7},${f.y} z`);
    });
    // Labels sit at the centre of their arrow's drawing when free (see routeArrows), so a click at
    // the centre of `[data-arrow-id]` lands on its label. They belong to the arrow for the pointer,
    // not for assistive tech (the arrow group carries the aria-label and the focus).
    const labels = this.gLabels.selectAll<SVGGElement, ArrowGeometry>('g.arrow-label').data(geo, (d) => d.id)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'arrow-label').attr('aria-hidden', 'true');
        g.append('rect');
        g.append('text');
        g.on('click', (ev: MouseEvent, d) => { ev.stopPropagation(); this.cb.select({ kind: 'arrow', id: d.id }); });
        return g;
      });
    labels
      .attr('data-label-for', (d) => d.id)
      .attr('transform', (d) => `translate(${d.label.x},${d.label.y})`)
      .classed('selected', (d) => selection?.kind === 'arrow' && selection.id === d.id)
      .classed('disabled', (d) => arrows.get(d.id)?.enabled === false)
      .classed('has-error', (d) => errs.has(d.id));
    labels.select('text').attr('text-anchor', 'middle').attr('dy', '0.35em').text((d) => arrowCaption(arrows.get(d.id)!));
    labels.select('rect').each((d, i, els) => {
      const { w, h } = labelSize(arrowCaption(arrows.get(d.id)!));
      select(els[i]).attr('x', -w / 2).attr('y', -h / 2).attr('width', w).attr('height', h).attr('rx', h / 2);
    });
  }

  private arrowLabel(a: GraphArrow, d: ArrowGeometry, badges: GraphBadges | undefined, errs: GraphIssue[] | undefined): string {
    const amp = `${a.amplifier.type} amplifier${a.amplifier.units !== undefined ? ` ${a.amplifier.units} units` : ''}`;
    let where: string;
    if (d.fork) {
      const gate = badges?.arrows[a.id];
      where = `Gumbel gate over blocks ${d.branches.map((b) => `h${b.block}`).join(', ')}${gate ? `, learned h${gate.argmax} at ${Math.round(gate.prob * 100)}%` : ''}`;
    } else {
      where = a.injection === undefined ? 'no injection set' : `into block h${a.injection}`;
    }
    const err = errs?.length ? `. ${errs.length} problem${errs.length > 1 ? 's' : ''}: ${errs.map((x) => x.message).join('; ')}` : '';
    return `Feedback ${a.id}: ${a.from} to ${a.to}, ${amp}, ${where}, ${a.combine ?? 'concat'}${a.enabled === false ? ', disabled' : ''}. Delete key removes it${err}`;
  }

  /** Click / keyboard / drag on nodes. */
  private nodeBehaviour(s: Selection<SVGGElement, LayoutNode, SVGGElement, unknown>): void {
    // A placeholder stands for its arrow's error: selecting it selects the arrow.
    const target = (d: LayoutNode): GraphSelection => (d.missing ? { kind: 'arrow', id: d.missing.arrowId } : { kind: 'node', id: d.id });
    s.on('click', (ev: MouseEvent, d) => { ev.stopPropagation(); this.cb.select(target(d)); });
    s.on('keydown', (ev: KeyboardEvent, d) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.cb.select(target(d)); return; }
      if ((ev.key === 'a' || ev.key === 'A') && d.taskId && !ev.ctrlKey && !ev.metaKey && !this.state?.readOnly) {
        ev.preventDefault();
        this.cb.startAddFeedback(d.taskId);
        return;
      }
      const step = ev.shiftKey ? 50 : 10;
      const delta: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const m = delta[ev.key];
      if (m && ev.altKey && !this.state?.readOnly && d.kind !== 'missing') {
        ev.preventDefault();
        const p = { x: d.x + m[0], y: d.y + m[1] };
        this.overrides[d.id] = p;
        this.render(this.state!);
        this.cb.moveNodes({ [d.id]: p });
      }
    });
    let moved = false;
    s.call(drag<SVGGElement, LayoutNode>()
      .clickDistance(4)
      .filter((ev: MouseEvent, d) => !this.state?.readOnly && !ev.button && d.kind !== 'missing' && !(ev.target as Element).classList.contains('port'))
      .container(() => this.viewport.node()!)
      .subject((_ev, d) => ({ x: d.x, y: d.y }))
      .on('start', () => { moved = false; this.dragging = true; })
      .on('drag', (ev: D3DragEvent<SVGGElement, LayoutNode, Point>, d) => {
        moved = true;
        this.overrides[d.id] = { x: ev.x, y: ev.y };
        this.render(this.state!);
      })
      .on('end', (_ev, d) => {
        this.dragging = false;
        const p = this.overrides[d.id];
        if (moved && p) {
          this.autoFit = false; // the user is arranging: the view stays where they put it
          this.cb.moveNodes({ [d.id]: p });
        }
      }));
  }

  /** Drag from an output port onto a task or block to add a feedback arrow. */
  private portBehaviour(s: Selection<SVGCircleElement, LayoutNode, SVGGElement, unknown>): void {
    let hover: Element | null = null;
    const targetAt = (ev: MouseEvent): Element | null => {
      const el = document.elementFromPoint(ev.clientX, ev.clientY);
      return el?.closest('[data-node-id]') ?? null;
    };
    s.call(drag<SVGCircleElement, LayoutNode>()
      .filter((ev: MouseEvent) => !this.state?.readOnly && !ev.button)
      .container(() => this.viewport.node()!)
      .on('start', () => { this.dragging = true; this.svg.classed('connecting', true); })
      .on('drag', (ev: D3DragEvent<SVGCircleElement, LayoutNode, unknown>, d) => {
        const x0 = d.x;
        const y0 = d.y - d.h / 2;
        this.dragLine.style('display', null)
          .attr('d', `M${x0},${y0} C${x0},${y0 - 60} ${ev.x},${ev.y - 60} ${ev.x},${ev.y}`);
        const t = targetAt(ev.sourceEvent as MouseEvent);
        if (t !== hover) {
          hover?.classList.remove('drop-target');
          hover = t && t.getAttribute('data-node-id') !== d.id && t.getAttribute('data-node-id') !== ENCODER_NODE_ID && !t.classList.contains('node-encoder') ? t : null;
          hover?.classList.add('drop-target');
        }
      })
      .on('end', (ev: D3DragEvent<SVGCircleElement, LayoutNode, unknown>, d) => {
        this.dragging = false;
        this.svg.classed('connecting', false);
        this.dragLine.style('display', 'none');
        hover?.classList.remove('drop-target');
        hover = null;
        const src = ev.sourceEvent as MouseEvent;
        const t = targetAt(src);
        if (this.dragLine.attr('d') === null) return;
        this.dragLine.attr('d', null);
        this.cb.connect(d.taskId!, t?.getAttribute('data-node-id') ?? undefined, { clientX: src.clientX, clientY: src.clientY });
      }));
  }

  /** Candidate block numbers of an arrow (for the inspector). */
  static candidates(a: GraphArrow, model: GraphModel): number[] {
    return candidateBlocks(a, model);
  }
}
