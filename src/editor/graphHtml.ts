/**
 * The graph webview's page (pure, so the browser preview in `test/webview/graph/preview.ts` loads
 * the very same page): the shared webview page with the graph bundle and `media/graph.css`.
 */
import { webviewPage } from '../shared/webviewPage';

export interface GraphHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** URI of `dist/webview/graph.js` as the webview sees it. */
  scriptUri: string;
  /** URI of `media/graph.css`. */
  styleUri: string;
  /** Random per load (`makeNonce` of `shared/webviewPage.ts`). */
  nonce: string;
}

export function graphHtml(o: GraphHtmlOptions): string {
  return webviewPage({ ...o, title: 'Task graph', body: '<div id="graph-root"></div>' });
}
