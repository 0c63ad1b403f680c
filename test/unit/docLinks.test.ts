import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The user documents link to each other's sections by heading anchors, and headings get renamed as results change:
 * every relative link must still reach an existing file and, when it names one, a heading of that file.
 */
const ROOT = join(__dirname, '../..');
const DOCUMENTS = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter(
  (f) => f.endsWith('.md'),
);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, "-1", "-2"… for repeats. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, '')
      .replace(/ /g, '-');
    const repeat = seen.get(base) ?? 0;
    seen.set(base, repeat + 1);
    anchors.add(repeat === 0 ? base : `${base}-${repeat}`);
  }
  return anchors;
}

/** Relative links `[text](target)` outside code blocks, as [file part, anchor part]. */
function relativeLinks(markdown: string): [string, string | undefined][] {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const links: [string, string | undefined][] = [];
  for (const [, target] of withoutCode.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
    const [file, anchor] = target!.split('#', 2) as [string, string | undefined];
    links.push([file, anchor]);
  }
  return links;
}

describe('links between the documents', () => {
  it('the anchor rule matches headings as GitHub writes them', () => {
    const anchors = headingAnchors('# A title\n## Speed: 2 × faster (shipped, 7 December 2026)\n## A title\n');
    expect([...anchors]).toEqual(['a-title', 'speed-2--faster-shipped-7-december-2026', 'a-title-1']);
  });

  for (const document of DOCUMENTS) {
    it(`${document}: every relative link reaches a file and a heading`, () => {
      const broken: string[] = [];
      const text = readFileSync(join(ROOT, document), 'utf8');
      for (const [file, anchor] of relativeLinks(text)) {
        const path = file === '' ? document : normalize(join(dirname(document), decodeURI(file)));
        if (!existsSync(join(ROOT, path))) {
          broken.push(`${file}: no such file`);
          continue;
        }
        if (anchor === undefined || !path.endsWith('.md')) continue;
        if (!headingAnchors(readFileSync(join(ROOT, path), 'utf8')).has(decodeURIComponent(anchor)))
          broken.push(`${file}#${anchor}: no such heading`);
      }
      expect(broken).toEqual([]);
    });
  }
});
