// A strict little XML reader for the SVG vega writes: elements, attributes in
// double quotes, text. It throws on anything unbalanced or malformed, which
// is the "valid SVG" check the chart tests need without an XML dependency.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

const TAG = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
const ATTRIBUTE = /([\w:.-]+)="([^"<]*)"/g;

export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  let at = text.startsWith('<?xml') ? text.indexOf('?>') + 2 : 0;
  while (at < text.length) {
    const open = text.indexOf('<', at);
    const textPart = text.slice(at, open === -1 ? text.length : open);
    if (/[<>]/.test(textPart)) throw new Error(`stray angle bracket near offset ${at}`);
    if (open === -1) break;
    TAG.lastIndex = open;
    const match = TAG.exec(text);
    if (!match) throw new Error(`malformed tag at offset ${open}: ${text.slice(open, open + 60)}`);
    const [whole, closing, name = '', attributeText = '', selfClosing] = match;
    at = open + whole.length;
    const parent = stack.at(-1) as XmlElement;
    if (closing) {
      if (parent.name !== name) throw new Error(`</${name}> closes <${parent.name}> at offset ${open}`);
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key = '', value = ''] of attributeText.matchAll(ATTRIBUTE)) attributes[key] = value;
    const element: XmlElement = { name, attributes, children: [] };
    parent.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  if (root.children.length !== 1) throw new Error(`expected one root element, found ${root.children.length}`);
  return root.children[0] as XmlElement;
}

/** Every element below `element` (itself included), depth first. */
export function descendants(element: XmlElement): XmlElement[] {
  return [element, ...element.children.flatMap(descendants)];
}

/** The mark group vega names `<layer>_marks`. */
export function markGroup(svg: XmlElement, layer: string): XmlElement | undefined {
  return descendants(svg).find((e) => e.name === 'g' && (e.attributes.class ?? '').split(' ').includes(`${layer}_marks`));
}

/** aria-labels of the marks drawn in a group (vega writes `description` there). */
export function markLabels(group: XmlElement | undefined): string[] {
  if (group === undefined) return [];
  return descendants(group)
    .filter((e) => e !== group && e.attributes['aria-label'] !== undefined)
    .map((e) => e.attributes['aria-label'] as string);
}
