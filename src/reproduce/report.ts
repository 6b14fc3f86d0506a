/** A reproduction's report: report.md (claim, setting, tables, checks, verdict), report.json, figures. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figureSvg } from '../figures/svg.js';
import { diffsText, intervalText } from './claims.js';
import type { Report, Table } from './types.js';

function markdownTable(t: Table): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [`**${t.title}**`, '', line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)].join(
    '\n',
  );
}

/** Each claim with its per-seed differences, mean and 95 % interval, and its verdict. */
function checkLines(r: Report): string[] {
  return r.checks.map(
    (c) =>
      `- **${c.verdict}**: ${c.what}. Per seed (${r.seeds.join(', ')}): ${diffsText(c)}; mean and 95 % t interval ${intervalText(c)}, claim: above ${c.pp ? `${+(c.margin * 100).toFixed(2)} pp` : c.margin}.${c.caveat ? ` Not a test of the claim: ${c.caveat}.` : ''}`,
  );
}

/** Which arms share a mask (equal fingerprints), and the command that recreates each arm. */
function armLines(r: Report): string[] {
  const masks = r.arms.filter((a) => a.maskSha256);
  const byCommand = new Map<string, string[]>();
  for (const c of r.commands)
    byCommand.set(c.command, [...(byCommand.get(c.command) ?? []), `${c.arm} (seed ${c.seed})`]);
  return [
    ...(masks.length
      ? [
          markdownTable({
            title: 'Masks (SHA-256 of the serialised masks; equal hashes: the arms share a mask)',
            columns: ['arm', 'seed', 'mask SHA-256'],
            rows: masks.map((a) => [a.arm, String(a.seed), `\`${a.maskSha256!.slice(0, 16)}…\``]),
          }),
          '',
        ]
      : []),
    ...(byCommand.size
      ? [
          '**Commands that recreate each arm** (same run ids):',
          '',
          ...[...byCommand].map(([cmd, arms]) => `- ${arms.join(', ')}: \`${cmd}\``),
          '',
        ]
      : []),
  ];
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
    '**Claims, paired over seeds** (holds: the 95 % interval is above the margin; fails: below it; not shown: it straddles):',
    '',
    ...checkLines(r),
    '',
    `**Verdict at this scale:** ${r.verdict}.`,
    '',
    ...armLines(r),
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
