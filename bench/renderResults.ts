import { type BenchFigure, improvement, meetsTarget } from './BenchFigure.js';
import type { MachineInfo } from './machineInfo.js';

/** Formats a figure's number for the table: 3 significant digits, thousands separated. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return 'not measured';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  return Number(value.toPrecision(3)).toString();
}

/** The performance table in Markdown, with the machine and the notes below it. */
export function renderResultsMarkdown(options: {
  machine: MachineInfo;
  command: string;
  seconds: number;
  figures: readonly BenchFigure[];
  sections: readonly { title: string; body: string }[];
}): string {
  const { machine } = options;
  const lines = [
    '# streamfold benchmark results',
    '',
    `Measured by \`${options.command}\` on ${machine.date.slice(0, 10)} (${machine.date}), ` +
      `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node.js ${machine.node}, ` +
      `${machine.platform}; the run took ${Math.round(options.seconds)} s. Every baseline was measured ` +
      'in the same run. Timings are medians of the repetitions stated per row.',
    '',
    '| # | Figure | streamfold | Naive baseline | Better by | Target | Met | Command |',
    '|---|---|---:|---:|---:|---|---|---|',
  ];
  for (const figure of options.figures) {
    const ratio = improvement(figure);
    const met = meetsTarget(figure);
    lines.push(
      `| ${figure.row} | ${figure.figure} | ${formatNumber(figure.value)} | ` +
        `${formatNumber(figure.baseline)} (${figure.baselineName}) | ` +
        `${ratio === undefined ? '–' : `${ratio.toFixed(1)}×`} | ` +
        `${figure.target ? `${figure.target.op === '>=' ? '≥' : '≤'} ${formatNumber(figure.target.value)}` : '–'} | ` +
        `${met === undefined ? '–' : met ? 'yes' : '**no**'} | \`${figure.command}\` |`,
    );
  }
  lines.push('', '## How each figure was measured', '');
  for (const figure of options.figures)
    lines.push(`${figure.row}. **${figure.figure}.** ${figure.note}`);
  for (const section of options.sections) lines.push('', `## ${section.title}`, '', section.body);
  return `${lines.join('\n')}\n`;
}

/** A Markdown table from a header and rows. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly (string | number | undefined)[])[],
): string {
  const cell = (value: string | number | undefined) =>
    typeof value === 'number' || value === undefined ? formatNumber(value) : value;
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}
