/** A reproduction's report: report.md (claim, setting, tables, checks, verdict), report.json, figures. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figureSvg } from '../figures/svg.js';
import type { Report, Table } from './types.js';

function markdownTable(t: Table): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [`**${t.title}**`, '', line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)].join(
    '\n',
  );
}

export function markdown(r: Report): string {
  return [
    `# ${r.title} — sprig reproduce ${r.paper}${r.quick ? ' (--quick: plumbing only, nothing to conclude)' : ''}`,
    '',
    `**Claim.** ${r.claim}`,
    '',
    `**Setting.** ${r.setting} Seeds: ${r.seeds.join(', ')} (mean ± sample std over them).`,
    '',
    ...r.tables.flatMap((t) => [markdownTable(t), '']),
    '**Checks.**',
    '',
    ...r.checks.map((c) => `- ${c.holds ? 'holds' : 'does not hold'}: ${c.what}`),
    '',
    `**Verdict at this scale:** the claim ${r.holds ? 'holds' : 'does not hold'}${r.holds ? '' : ' (see the checks above)'}.`,
    '',
    ...(r.notes.length ? ['**Notes.**', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
    ...r.figures.map((f) => `![${f.chart.title}](${f.name}.svg)`),
    '',
    `Command: \`${r.command}\`; ${r.wallSeconds.toFixed(0)} s on this machine (cached runs cost nothing).`,
    '',
    `Stored experiments: ${r.runIds.map((id) => `\`${id}\``).join(', ')}.`,
    '',
  ].join('\n');
}

/** Writes the report into `dir`; returns the files written. */
export function writeReport(dir: string, r: Report): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'report.md'), join(dir, 'report.json')];
  writeFileSync(files[0]!, markdown(r));
  const { figures, ...rest } = r;
  writeFileSync(
    files[1]!,
    JSON.stringify({ ...rest, figures: figures.map((f) => `${f.name}.svg`) }, null, 2) + '\n',
  );
  for (const f of figures) {
    const path = join(dir, `${f.name}.svg`);
    writeFileSync(path, figureSvg(f.chart));
    files.push(path);
  }
  return files;
}
