// The report's HTML as a browser parses it (parse5 follows the HTML standard's
// parsing algorithm), with the few look-ups the tests need.
import { parse } from 'parse5';

export interface Node {
  nodeName: string;
  tagName?: string;
  attrs?: { name: string; value: string }[];
  childNodes?: Node[];
  content?: Node;
  value?: string;
  namespaceURI?: string;
}

export function parseHtml(html: string): Node {
  return parse(html) as unknown as Node;
}

/** Every element below `node` (itself included), document order. */
export function elements(node: Node): Node[] {
  const own = node.tagName ? [node] : [];
  return [...own, ...(node.childNodes ?? []).flatMap(elements)];
}

export function attr(node: Node, name: string): string | undefined {
  return node.attrs?.find((a) => a.name === name)?.value;
}

export function hasClass(node: Node, name: string): boolean {
  return (attr(node, 'class') ?? '').split(/\s+/).includes(name);
}

export function byTag(node: Node, tag: string): Node[] {
  return elements(node).filter((e) => e.tagName === tag);
}

export function text(node: Node): string {
  if (node.nodeName === '#text') return node.value ?? '';
  return (node.childNodes ?? []).map(text).join('');
}

/** aria-labels of the marks vega drew in the group `<layer>_marks`. */
export function markLabels(root: Node, layer: string): string[] {
  const group = elements(root).find((e) => e.tagName === 'g' && hasClass(e, `${layer}_marks`));
  if (!group) return [];
  return elements(group)
    .filter((e) => e !== group)
    .map((e) => attr(e, 'aria-label'))
    .filter((label): label is string => label !== undefined);
}
