/** Small syntax checkers for the report tests: CSV reader, HTML tag balance, LaTeX braces, PNG decoding. */
import { inflateSync } from 'node:zlib';

/** RFC 4180 reader; lines starting with '#' (outside quotes, at a record start) are comments. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let atRecordStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (atRecordStart && ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    atRecordStart = false;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      atRecordStart = true;
    } else field += ch;
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/**
 * Check that every non-void element is closed in order (scripts and styles skipped, comments
 * skipped, `/>` self-closing allowed for SVG). Returns the problems found (empty: well formed).
 */
export function htmlProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const re = /<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    if (m[0].startsWith('<!')) continue;
    const [, close, rawName, , selfClose] = m;
    const name = rawName!.toLowerCase();
    if (close) {
      const top = stack.pop();
      if (top !== name) {
        problems.push(`</${name}> at ${m.index} closes <${top ?? 'nothing'}>`);
        if (top) stack.push(top);
      }
      continue;
    }
    if (selfClose || VOID.has(name)) continue;
    if (name === 'script' || name === 'style') {
      const end = html.toLowerCase().indexOf(`</${name}>`, re.lastIndex);
      if (end < 0) {
        problems.push(`<${name}> at ${m.index} never closed`);
        break;
      }
      re.lastIndex = end + name.length + 3;
      continue;
    }
    stack.push(name);
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  const text = html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]*>/g, '');
  if (/&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)/.test(text)) problems.push('unescaped & in text');
  if (/[<>]/.test(text)) problems.push('stray < or > in text');
  return problems;
}

/** LaTeX: unescaped braces balance and never go negative. */
export function latexBraceDepthOk(tex: string): boolean {
  let depth = 0;
  for (let i = 0; i < tex.length; i++) {
    const ch = tex[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '%') {
      while (i < tex.length && tex[i] !== '\n') i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Cells of a LaTeX tabular row: split on unescaped &. */
export function latexCells(line: string): string[] {
  return line.replace(/\\\\\s*$/, '').split(/(?<!\\)&/);
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** Fraction of pixels that are not (near) white. */
  readonly inkFraction: number;
  readonly distinctColors: number;
}

/** Decode an 8-bit RGB/RGBA PNG (non-interlaced), enough to tell a blank page from a report. */
export function decodePng(buf: Buffer): DecodedPng {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  let bitDepth = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colorType = data[9]!;
      if (data[12] !== 0) throw new Error('interlaced PNG not supported');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6)) throw new Error(`PNG colour type ${colorType}/${bitDepth} not supported`);
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp]! : 0;
      const v = raw[src + x]!;
      let r: number;
      if (f === 0) r = v;
      else if (f === 1) r = v + a;
      else if (f === 2) r = v + b;
      else if (f === 3) r = v + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        r = v + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      out[y * stride + x] = r & 255;
    }
  }
  let ink = 0;
  const colors = new Set<number>();
  for (let i = 0; i < width * height; i++) {
    const r = out[i * bpp]!;
    const g = out[i * bpp + 1]!;
    const b = out[i * bpp + 2]!;
    if (r < 235 || g < 235 || b < 235) ink++;
    if (colors.size < 100000) colors.add((r << 16) | (g << 8) | b);
  }
  return { width, height, inkFraction: ink / (width * height), distinctColors: colors.size };
}
