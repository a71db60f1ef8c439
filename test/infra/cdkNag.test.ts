import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

/** One plugin's part of the validation report CDK writes into the cloud assembly. */
interface PluginReport {
  pluginName: string;
  conclusion: 'success' | 'failure';
  violations: { ruleName: string; severity: string }[];
}

/** An acknowledgement recorded with `Validations.of(construct).acknowledge()`. */
interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

const NAG_PREFIX = 'AwsSolutions-';

/** The cdk-nag acknowledgements in the construct tree. */
function nagAcknowledgements(app: App): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = qualified.replace(/^annotation::/i, '');
        if (id.startsWith(NAG_PREFIX)) found.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return found;
}

/** Every AwsSolutions finding, acknowledged or not: rule id and construct path. */
function allFindings(app: App): { id: string; path: string }[] {
  const pack = new AwsSolutionsChecks();
  // Test-only: see what the pack would report with no acknowledgement at all.
  Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      id: violation.ruleName,
      path: resource.constructPath ?? '',
    })),
  );
}

describe('cdk-nag AwsSolutions in synthesis', () => {
  it('fails synthesis when a construct breaks a rule without acknowledgement', () => {
    // Act & Assess: a bucket without TLS enforcement, logging or encryption settings
    expect(() =>
      synthStreamfoldApp({
        beforeSynth: (stack) => new s3.Bucket(stack, 'CarelessBucket'),
      }),
    ).toThrow(/AwsSolutions-S10/);
  });
});

describe.each(['dev', 'prod'])('cdk-nag AwsSolutions over the %s app', (stage) => {
  let synthesized: SynthesizedApp;

  beforeAll(() => {
    // Prepare: synthesis runs the checks createStreamfoldApp registers, and throws on errors
    synthesized = synthStreamfoldApp({ context: { stage, alarmEmail: 'ops@example.com' } });
  });

  afterAll(() => synthesized.cleanUp());

  it('reports no unacknowledged finding when synthesized', () => {
    // Act
    const report = JSON.parse(
      readFileSync(join(synthesized.assembly.directory, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: PluginReport[] };
    const nag = report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions');

    // Assess: a plugin without findings may be left out of the report
    expect(nag?.violations ?? []).toEqual([]);
    expect(nag?.conclusion ?? 'success').toBe('success');
  });

  it('acknowledges only findings that exist, each with its reason', () => {
    // Act
    const acknowledgements = nagAcknowledgements(synthesized.app);
    const findings = allFindings(synthesized.app);

    // Assess
    console.info(
      acknowledgements.map(({ path, id, reason }) => `${id} at ${path}: ${reason}`).join('\n'),
    );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const acknowledgement of acknowledgements) {
      expect(acknowledgement.reason.length, acknowledgement.id).toBeGreaterThan(40);
      const matching = findings.filter(
        (finding) =>
          finding.id === acknowledgement.id &&
          (finding.path === acknowledgement.path ||
            finding.path.startsWith(`${acknowledgement.path}/`)),
      );
      expect(matching, `${acknowledgement.id} at ${acknowledgement.path}`).not.toEqual([]);
    }
  });

  it('finds every unacknowledged rule break when acknowledgements are ignored', () => {
    // Act: the findings the acknowledgements hide
    const acknowledged = new Set(nagAcknowledgements(synthesized.app).map(({ id }) => id));
    const findings = allFindings(synthesized.app);

    // Assess: the pack did run, and everything it finds is acknowledged
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.filter(({ id }) => !acknowledged.has(id))).toEqual([]);
  });
});
